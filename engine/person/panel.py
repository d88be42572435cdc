"""What the case page shows about the person: the choice, roles, particulars and contact routes (need to
know, each view audited), the contacts log, linked cases and the cases merged into this one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.person.case_links import LinkedCase, linked_cases
from engine.person.contact_routes import Route, case_routes
from engine.person.contacts_log import ContactEntry, case_contacts
from engine.person.privacy import PersonFacts, person_facts
from engine.store.person_tables import CaseMerge
from engine.store.tables import AuditEvent, Case


@dataclass(frozen=True)
class MergedCase:
    reference: str
    merged_at: datetime
    merged_by: str
    history: tuple[tuple[datetime, str, str], ...]  # when, who, action


@dataclass(frozen=True)
class PersonPanel:
    case_id: int
    person: PersonFacts
    routes: tuple[Route, ...]
    contacts: tuple[ContactEntry, ...]
    links: tuple[LinkedCase, ...]
    merged: tuple[MergedCase, ...]


def read_person_panel(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    now: datetime | None = None,
    present: frozenset[str] | None = None,
) -> PersonPanel:
    """``present``: the panels the case has rows for (engine.cases.presence), if just read; the others
    are not asked."""
    now = now or ctx.clock.now()
    has = (lambda panel: True) if present is None else present.__contains__
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        person = person_facts(ctx, session, case_id)
        routes = tuple(case_routes(ctx, session, case_id)) if not person.anonymous else ()
        if person.particulars is not None or routes:
            audit.record(session, now, actor.username, "person_viewed", case_id, None)
        panel = PersonPanel(
            case_id,
            person,
            routes,
            tuple(case_contacts(ctx, session, case_id)) if has("contacts") else (),
            tuple(linked_cases(session, case_id)) if has("links") else (),
            tuple(_merged_into(session, case_id)) if has("merged") else (),
        )
        session.commit()
    return panel


def _merged_into(session: Session, case_id: int) -> list[MergedCase]:
    rows = session.execute(
        select(CaseMerge.merged_case_id, Case.reference, CaseMerge.merged_at, CaseMerge.merged_by)
        .join(Case, Case.id == CaseMerge.merged_case_id)
        .where(CaseMerge.target_case_id == case_id)
        .order_by(CaseMerge.merged_at)
    ).all()
    merged = []
    for row in rows:
        history = session.execute(
            select(AuditEvent.at, AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.case_id == row.merged_case_id, AuditEvent.action != "case_viewed")
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        merged.append(
            MergedCase(row.reference, row.merged_at, row.merged_by, tuple(tuple(event) for event in history))
        )
    return merged
