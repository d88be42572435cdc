"""Links between cases that belong together (the same person, the same series of incidents)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.person.case_search import case_id_for
from engine.store.person_tables import CaseLink
from engine.store.tables import Case

LINK_KINDS = ("gleiche_person", "vorfallserie")


class LinkInvalid(DomainError):
    code = "link_invalid"


@dataclass(frozen=True)
class LinkedCase:
    case_id: int
    reference: str
    status: str
    kind: str


def other_case(session: Session, case_id: int, reference: str) -> int:
    """The case a reference names, not this one (LinkInvalid otherwise)."""
    other = case_id_for(session, reference)
    if other is None:
        raise LinkInvalid(
            f"Es gibt keinen Fall „{reference.strip()[:20]}“.",
            f"There is no case '{reference.strip()[:20]}'.",
            field="aktenzeichen",
        )
    if other == case_id:
        raise LinkInvalid(
            "Ein Fall kann nicht mit sich selbst verbunden werden.",
            "A case cannot be linked to itself.",
            field="aktenzeichen",
        )
    return other


def link_cases(
    ctx: EngineContext, actor: Actor, case_id: int, reference: str, kind: str, now: datetime | None = None
) -> int:
    """Link this case with the one ``reference`` names (both within need to know); audited on both."""
    if kind not in LINK_KINDS:
        raise LinkInvalid(
            "Bitte wählen Sie die Art der Verbindung.", "Please choose the kind of link.", field="art"
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        other = other_case(session, case_id, reference)
        require_case_access(session, actor, other)
        first, second = sorted((case_id, other))
        known = exists().where(
            CaseLink.case_id == first, CaseLink.other_case_id == second, CaseLink.kind == kind
        )
        if not session.scalar(select(known)):
            session.add(
                CaseLink(
                    case_id=first, other_case_id=second, kind=kind, created_at=now, created_by=actor.username
                )
            )
            references = dict(
                session.execute(select(Case.id, Case.reference).where(Case.id.in_((first, second)))).all()
            )
            for here, there in ((case_id, other), (other, case_id)):
                audit.record(session, now, actor.username, "case_linked", here, f"{kind} {references[there]}")
        session.commit()
    return other


def linked_cases(session: Session, case_id: int) -> list[LinkedCase]:
    rows = session.execute(
        select(CaseLink.case_id, CaseLink.other_case_id, CaseLink.kind).where(
            or_(CaseLink.case_id == case_id, CaseLink.other_case_id == case_id)
        )
    ).all()
    others = {row.other_case_id if row.case_id == case_id else row.case_id: row.kind for row in rows}
    if not others:
        return []
    facts = session.execute(select(Case.id, Case.reference, Case.status).where(Case.id.in_(others))).all()
    return sorted(
        (LinkedCase(row.id, row.reference or str(row.id), row.status, others[row.id]) for row in facts),
        key=lambda linked: linked.reference,
    )
