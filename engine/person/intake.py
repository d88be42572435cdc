"""Intake with the person in mind: the choice anonym/vertraulich and the first contact routes, and the
repeat contact: a phone number or address typed at intake that belongs to an existing confidential case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.lifecycle import DEFAULT_PROCESS, OpenedCase, open_case
from engine.cases.need_to_know import visible_cases
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.person import blind_index
from engine.person.contact_routes import cases_with_route, insert_route
from engine.person.privacy import ANONYM, AnonymousCase, check_mode, record_choice
from engine.store.tables import Case


@dataclass(frozen=True)
class IntakeRoutes:
    phone: str = ""
    email: str = ""

    def entered(self) -> list[tuple[str, str]]:
        return [
            (kind, text)
            for kind, text in ((blind_index.PHONE, self.phone), (blind_index.EMAIL, self.email))
            if text.strip()
        ]


@dataclass(frozen=True)
class KnownCase:
    case_id: int
    reference: str
    status: str
    visible: bool


def open_case_for_person(
    ctx: EngineContext,
    actor: Actor,
    variables: Mapping[str, Any],
    mode: str,
    routes: IntakeRoutes,
    now: datetime | None = None,
    process_key: str = DEFAULT_PROCESS,
) -> OpenedCase:
    """Open a case with the person's choice; a confidential case keeps the routes typed at intake, all in
    one transaction. Everything is checked first (PersonInvalid, RouteInvalid, AnonymousCase: no case)."""
    check_mode(mode)
    if mode == ANONYM and routes.entered():
        raise AnonymousCase()
    normalised = [(kind, blind_index.normalised(kind, text)) for kind, text in routes.entered()]
    now = now or ctx.clock.now()

    def record_person(session: Session, case_id: int) -> None:
        record_choice(session, case_id, mode, actor.username, now)
        for kind, value in normalised:
            insert_route(ctx, session, case_id, kind, value, "", actor.username, now)
        if normalised:
            audit.record(session, now, actor.username, "contact_route_added", case_id, "intake")

    return open_case(ctx, actor, variables, process_key, now=now, alongside=record_person)


def known_cases(
    ctx: EngineContext, actor: Actor, routes: IntakeRoutes, now: datetime | None = None
) -> list[KnownCase]:
    """The confidential cases a route typed at intake belongs to; a route that is not (yet) valid finds none.
    Audited (without the route) only when something was found."""
    found: list[int] = []
    with ctx.unit_of_work(writes=False) as session:
        for kind, text in routes.entered():
            try:
                value = blind_index.normalised(kind, text)
            except blind_index.RouteInvalid:
                continue
            found += [
                case_id for case_id in cases_with_route(ctx, session, kind, value) if case_id not in found
            ]
        if not found:
            return []
        visible = set(session.scalars(select(Case.id).where(Case.id.in_(found), visible_cases(actor))))
        rows = {
            row.id: row
            for row in session.execute(select(Case.id, Case.reference, Case.status).where(Case.id.in_(found)))
        }
    with ctx.unit_of_work() as session:
        audit.record(
            session, now or ctx.clock.now(), actor.username, "repeat_contact_found", None, str(len(found))
        )
        session.commit()
    return [
        KnownCase(case_id, rows[case_id].reference, rows[case_id].status, case_id in visible)
        for case_id in found
    ]
