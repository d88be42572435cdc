"""Team leads' edits of directory entries: create, change on the version seen, retire; each one logged."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BERLIN
from engine.directory.history import changes_between, log_change
from engine.directory.offers import LIST_FIELDS, OfferData, OfferInvalid, data_of, offer_row
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotPermitted
from engine.store.referral_tables import SupportOffer


class OfferChangedMeanwhile(DomainError):
    code = "offer_conflict"

    def __init__(self, name: str, by: str, at: datetime) -> None:
        when = at.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
        super().__init__(
            f"„{name}“ wurde inzwischen von {by} am {when} geändert. Bitte laden Sie die Seite neu; "
            "Ihre Änderung wurde nicht gespeichert.",
            f"'{name}' was changed meanwhile by {by} at {when}. Please reload; your change was not saved.",
        )


def _columns(data: OfferData) -> dict[str, object]:
    columns = asdict(data)
    for name in LIST_FIELDS:
        columns[name] = " ".join(columns[name])
    return columns


def require_team_lead(actor: Actor, action: str) -> None:
    """Only team leads edit the directory."""
    if not actor.is_team_lead:
        raise NotPermitted(action)


def insert_offer(session: Session, data: OfferData, at: datetime, by: str, action: str = "created") -> int:
    """Store a new entry and its first history line (inside the caller's unit of work)."""
    if session.scalar(select(SupportOffer.id).where(SupportOffer.key == data.key)) is not None:
        raise OfferInvalid(
            {"key": (f"Das Kürzel {data.key} ist schon vergeben.", f"The key {data.key} is already taken.")}
        )
    row = SupportOffer(**_columns(data), version=1, updated_at=at, updated_by=by)
    session.add(row)
    session.flush()
    log_change(session, row.id, at, by, action, changes_between(None, data))
    return row.id


def update_offer(
    session: Session, row: SupportOffer, data: OfferData, at: datetime, by: str, action: str = "changed"
) -> dict[str, tuple[str, str]]:
    """Apply changed fields to a row and log them; returns the changes (none: nothing written)."""
    changes = changes_between(data_of(row), data)
    if "key" in changes:
        raise OfferInvalid(
            {"key": ("Das Kürzel eines Eintrags bleibt fest.", "The key of an entry cannot change.")}
        )
    if not changes:
        return changes
    for name, value in _columns(data).items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = at
    row.updated_by = by
    log_change(session, row.id, at, by, action, changes)
    return changes


def create_offer(ctx: EngineContext, actor: Actor, data: OfferData, now: datetime | None = None) -> int:
    """Add an entry to the directory (team leads only)."""
    require_team_lead(actor, "edit directory")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        offer_id = insert_offer(session, data, now, actor.username)
        audit.record(session, now, actor.username, "directory_changed", None, f"created {data.key}")
        session.commit()
    return offer_id


def change_offer(
    ctx: EngineContext,
    actor: Actor,
    offer_id: int,
    data: OfferData,
    seen_version: int,
    now: datetime | None = None,
) -> dict[str, tuple[str, str]]:
    """Save an edit made on ``seen_version``; an entry changed meanwhile is refused (nothing changes)."""
    require_team_lead(actor, "edit directory")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = offer_row(session, offer_id)
        if row.version != seen_version:
            raise OfferChangedMeanwhile(row.name, row.updated_by, row.updated_at)
        changes = update_offer(session, row, data, now, actor.username)
        if changes:
            audit.record(session, now, actor.username, "directory_changed", None, f"changed {row.key}")
            session.commit()
    return changes


def retire_offer(ctx: EngineContext, actor: Actor, offer_id: int, now: datetime | None = None) -> None:
    """Take an entry out of proposals; it stays for the history and for existing referrals."""
    require_team_lead(actor, "retire directory entry")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = offer_row(session, offer_id)
        if row.retired_at is not None:
            return
        row.retired_at = now
        row.version += 1
        row.updated_at = now
        row.updated_by = actor.username
        log_change(session, row.id, now, actor.username, "retired", {"retired": ("", "ja")})
        audit.record(session, now, actor.username, "directory_changed", None, f"retired {row.key}")
        session.commit()
