"""Contact routes of a confidential case: phone numbers, e-mail addresses and a code word for callbacks.

Each is sealed, bound to its case, and carries the blind index digest of its normalised value; a case
is found by a route only through that digest (``engine.person.case_search``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.person import blind_index
from engine.person.privacy import require_confidential
from engine.store.person_tables import ContactRoute
from engine.store.tables import Case

MAX_LABEL = 100


@dataclass(frozen=True)
class Route:
    id: int
    kind: str
    value: str
    label: str
    created_at: datetime
    created_by: str

    @property
    def shown(self) -> str:
        return blind_index.readable(self.kind, self.value)


def route_binding(case_id: int) -> bytes:
    return f"route:{case_id}".encode()


def seal_route(ctx: EngineContext, case_id: int, value: str, label: str) -> bytes:
    return ctx.vault.seal(json.dumps({"value": value, "label": label}).encode(), route_binding(case_id))


def add_route(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    kind: str,
    text: str,
    label: str = "",
    now: datetime | None = None,
) -> int | None:
    """Store a route (RouteInvalid for a value that cannot be normalised, AnonymousCase for an anonymous
    case: nothing is stored either way); returns its id, or None if the case already has it."""
    if kind not in blind_index.KINDS:
        raise blind_index.RouteInvalid("Unbekannte Art der Angabe.", "Unknown kind of entry.", field="art")
    value = blind_index.normalised(kind, text)
    label = (label or "").strip()[:MAX_LABEL]
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        require_confidential(session, case_id)
        route_id = insert_route(ctx, session, case_id, kind, value, label, actor.username, now)
        if route_id is not None:
            audit.record(session, now, actor.username, "contact_route_added", case_id, kind)
        session.commit()
    return route_id


def insert_route(
    ctx: EngineContext,
    session: Session,
    case_id: int,
    kind: str,
    value: str,
    label: str,
    username: str,
    now: datetime,
) -> int | None:
    """In the caller's transaction, for a normalised value; None if the case has it already."""
    digest = blind_index.digest(ctx.index_key, kind, value)
    every = [blind_index.digest(key, kind, value) for key in ctx.index_keys]
    known = exists().where(ContactRoute.case_id == case_id, ContactRoute.digest.in_(every))
    if session.scalar(select(known)):
        return None
    row = ContactRoute(
        case_id=case_id,
        kind=kind,
        digest=digest,
        digest_key=blind_index.fingerprint(ctx.index_key),
        sealed=seal_route(ctx, case_id, value, label),
        created_at=now,
        created_by=username,
    )
    session.add(row)
    session.flush()
    return row.id


def remove_route(
    ctx: EngineContext, actor: Actor, case_id: int, route_id: int, now: datetime | None = None
) -> None:
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        removed = session.execute(
            delete(ContactRoute).where(ContactRoute.id == route_id, ContactRoute.case_id == case_id)
        ).rowcount
        if removed:
            audit.record(session, now, actor.username, "contact_route_removed", case_id, None)
        session.commit()


def case_routes(ctx: EngineContext, session: Session, case_id: int) -> list[Route]:
    """Read inside a use case that has checked need to know and audits the view."""
    rows = session.execute(
        select(ContactRoute)
        .where(ContactRoute.case_id == case_id)
        .order_by(ContactRoute.kind, ContactRoute.id)
    ).scalars()
    routes = []
    for row in rows:
        content = json.loads(ctx.vault.open(row.sealed, route_binding(case_id)))
        routes.append(
            Route(row.id, row.kind, content["value"], content["label"], row.created_at, row.created_by)
        )
    return routes


def cases_with_route(ctx: EngineContext, session: Session, kind: str, value: str) -> list[int]:
    """The ids of the (not merged) cases that have this normalised route, newest first."""
    every = [blind_index.digest(key, kind, value) for key in ctx.index_keys]
    return list(
        session.scalars(
            select(ContactRoute.case_id)
            .join(Case, Case.id == ContactRoute.case_id)
            .where(ContactRoute.digest.in_(every), ContactRoute.kind == kind, Case.status != "merged")
            .distinct()
            .order_by(ContactRoute.case_id.desc())
        )
    )
