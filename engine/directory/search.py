"""Searching the directory: by text (matched literally), Land and category, retired entries on request."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from engine.calendar.laender import GERMAN_LANDS
from engine.directory.offers import Offer, offer_of
from engine.directory.vocabulary import CATEGORIES
from engine.kernel.context import EngineContext
from engine.store.referral_tables import SupportOffer


def search_offers(
    ctx: EngineContext, text: str = "", land: str = "", category: str = "", retired: bool = False
) -> list[Offer]:
    """Entries whose name, organisation, key or notes contain ``text``, valid in ``land`` (or nationwide)."""
    query = matching_offers(text, land, category, retired)
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(query.order_by(SupportOffer.category, SupportOffer.name)).all()
        return [offer_of(row) for row in rows]


def matching_offers(text: str = "", land: str = "", category: str = "", retired: bool = False) -> Select:
    """The query behind ``search_offers``, for callers that read in their own session."""
    query = select(SupportOffer)
    if not retired:
        query = query.where(SupportOffer.retired_at.is_(None))
    if text.strip():
        typed = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"  # what was typed is matched literally, wildcards included
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        SupportOffer.name,
                        SupportOffer.organisation,
                        SupportOffer.key,
                        SupportOffer.notes,
                    )
                )
            )
        )
    if land in GERMAN_LANDS:
        query = query.where(or_(SupportOffer.lands == "", SupportOffer.lands.like(f"%{land}%")))
    if category in CATEGORIES:
        query = query.where(SupportOffer.category == category)
    return query
