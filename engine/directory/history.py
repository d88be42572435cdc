"""The change history of directory entries: old and new text per changed field, who and when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.directory.offers import FIELDS, Offer, OfferData, offer_of, offer_row, offer_text
from engine.kernel.context import EngineContext
from engine.store.referral_tables import SupportOfferChange


@dataclass(frozen=True)
class OfferChange:
    at: datetime
    by: str
    action: str
    changes: dict[str, tuple[str, str]]


def changes_between(before: OfferData | None, after: OfferData) -> dict[str, tuple[str, str]]:
    """Old and new text of every field that differs (no ``before``: a new entry, every field set)."""
    old = offer_text(before) if before else dict.fromkeys(FIELDS, "")
    new = offer_text(after)
    return {name: (old[name], new[name]) for name in FIELDS if old[name] != new[name]}


def log_change(session: Session, offer_id: int, at: datetime, by: str, action: str, changes: dict) -> None:
    """Add a history line (inside the caller's unit of work)."""
    session.add(
        SupportOfferChange(
            offer_id=offer_id, at=at, by=by, action=action, changes=json.dumps(changes, ensure_ascii=False)
        )
    )


def read_offer(ctx: EngineContext, offer_id: int) -> tuple[Offer, list[OfferChange]]:
    """An entry with its change history, newest first."""
    with ctx.unit_of_work(writes=False) as session:
        offer = offer_of(offer_row(session, offer_id))
        history = session.scalars(
            select(SupportOfferChange)
            .where(SupportOfferChange.offer_id == offer_id)
            .order_by(SupportOfferChange.at.desc(), SupportOfferChange.id.desc())
        ).all()
        return offer, [
            OfferChange(c.at, c.by, c.action, {k: tuple(v) for k, v in json.loads(c.changes).items()})
            for c in history
        ]
