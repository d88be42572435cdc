"""Re-verification of directory entries: the review list (*Zu prüfen*) and marking an entry checked."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import or_, select

from engine.calendar.business_calendar import BERLIN
from engine.directory.edits import require_team_lead, update_offer
from engine.directory.offers import Offer, OfferData, data_of, offer_of, offer_row
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.store.referral_tables import SupportOffer

REVERIFY_MONTHS = 12


def mark_verified(ctx: EngineContext, actor: Actor, offer_id: int, now: datetime | None = None) -> None:
    """The entry was checked against its source today: set ``last_verified`` and clear the flag."""
    require_team_lead(actor, "verify directory entry")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = offer_row(session, offer_id)
        data = data_of(row)
        checked = OfferData(
            **{**asdict(data), "last_verified": now.astimezone(BERLIN).date(), "verify": False}
        )
        update_offer(session, row, checked, now, actor.username, "verified")
        audit.record(session, now, actor.username, "directory_changed", None, f"verified {row.key}")
        session.commit()


def reverification_due(today: date) -> date:
    """Entries last verified on or before this day need checking again (twelve months back)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def needs_reverification(ctx: EngineContext, now: datetime | None = None) -> list[Offer]:
    """Active entries never verified, flagged for checking, or last verified twelve months ago or more."""
    today = (now or ctx.clock.now()).astimezone(BERLIN).date()
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(
            select(SupportOffer)
            .where(SupportOffer.retired_at.is_(None))
            .where(
                or_(
                    SupportOffer.verify.is_(True),
                    SupportOffer.last_verified.is_(None),
                    SupportOffer.last_verified <= reverification_due(today),
                )
            )
            .order_by(SupportOffer.last_verified.is_not(None), SupportOffer.last_verified, SupportOffer.name)
        ).all()
        return [offer_of(row) for row in rows]
