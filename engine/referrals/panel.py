"""The task page's referral panel: proposals and search at Vermittlung, the open round at Nachfassen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.directory.search import matching_offers
from engine.referrals.follow_up import latest_round
from engine.referrals.proposals import CaseFacts, Proposal, derived_needs, facts_of, propose
from engine.referrals.recording import ReferralEntry, case_referrals
from engine.referrals.steps import NACHFASSEN, VERMITTLUNG
from engine.store.case_store import CaseRecord
from engine.store.referral_tables import SupportOffer


@dataclass(frozen=True)
class ReferralPanel:
    step: str  # vermittlung or nachfassen
    proposals: tuple[Proposal, ...]
    offers: dict[int, SupportOffer]  # detached rows of the proposed and found offers, for contact details
    referrals: tuple[ReferralEntry, ...]  # every referral of the case
    open_round: tuple[ReferralEntry, ...]  # settled by this Nachfassen
    facts: CaseFacts
    needs: frozenset[str]
    search: str = ""  # what the counsellor searched the directory for
    found: tuple[int, ...] = ()  # offers not proposed: search hits, then offers already chosen
    more_found: bool = False  # the search matched more entries than are shown


def referral_panel(
    session: Session,
    element_id: str,
    case: CaseRecord,
    variables: Mapping[str, Any],
    needs: Sequence[str] = (),
    woman: bool | None = None,
    search: str = "",
    keep: Sequence[int] = (),
) -> ReferralPanel | None:
    """The proposals (Vermittlung) or the referrals to settle (Nachfassen); None for other steps.

    Beside the proposals, Vermittlung shows the directory entries matching ``search`` (any Land, so
    that a service across the border can be chosen too) and the entries in ``keep`` (chosen on a form
    that comes back with an error), so that no choice disappears from the page.
    """
    if element_id not in (VERMITTLUNG, NACHFASSEN):
        return None
    referrals = case_referrals(session, case.id)
    if element_id == NACHFASSEN:
        return ReferralPanel(
            element_id,
            (),
            {},
            tuple(referrals),
            tuple(latest_round(referrals)),
            facts_of(case, variables),
            frozenset(),
        )
    failed = frozenset(entry.offer_id for entry in referrals if entry.status == "not_helped")
    facts = facts_of(case, variables, needs, woman, failed)
    proposals = propose(session, facts)
    proposed = [p.offer_id for p in proposals]
    search = search.strip()[:MAX_SEARCH]
    hits = _search_hits(session, search, exclude=proposed)
    shown = hits[:MAX_FOUND]
    found = [*shown, *(i for i in dict.fromkeys(keep) if i not in proposed and i not in shown)]
    wanted = [*proposed, *found]
    rows = session.scalars(
        select(SupportOffer).where(SupportOffer.id.in_(wanted), SupportOffer.retired_at.is_(None))
    )
    offers = {row.id: row for row in rows}
    for row in offers.values():
        session.expunge(row)
    return ReferralPanel(
        element_id,
        tuple(proposals),
        offers,
        tuple(referrals),
        (),
        facts,
        derived_needs(facts),
        search,
        tuple(offer_id for offer_id in found if offer_id in offers),
        len(hits) > MAX_FOUND,
    )


MAX_SEARCH = 100  # characters of a search
MAX_FOUND = 10  # search hits shown beside the proposals


def _search_hits(session: Session, text: str, exclude: Sequence[int]) -> list[int]:
    """Ids of active entries matching ``text`` that are not proposed anyway, by name; one more than
    shown, so the page can say that there are more."""
    if not text:
        return []
    query = matching_offers(text).where(SupportOffer.id.not_in(exclude)).with_only_columns(SupportOffer.id)
    return list(session.scalars(query.order_by(SupportOffer.name, SupportOffer.id).limit(MAX_FOUND + 1)))
