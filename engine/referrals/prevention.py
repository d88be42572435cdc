"""Prevention material for an information request: the directory's offers as the referral ranking orders them
for a case at level INFO (prevention and council offers first), shown at "Präventionsmaterial anbieten"."""

from __future__ import annotations

from sqlalchemy import select

from engine.cases.need_to_know import require_case_access
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.referrals.proposals import CaseFacts, Proposal, propose
from engine.store.tables import Case

PREVENTION_STEP = "praevention"
SHOWN = 5


def prevention_offers(ctx: EngineContext, actor: Actor, case_id: int) -> list[Proposal]:
    """The best prevention offers for the case's Land; an information request names no incident."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        land = session.scalar(select(Case.land).where(Case.id == case_id))
        facts = CaseFacts(land=land, risk_level="INFO", incident_types=frozenset({"kein_vorfall"}))
        return [proposal for proposal in propose(session, facts) if proposal.category == "praevention"][
            :SHOWN
        ]
