"""Find a case again: by reference, by an exact phone number, e-mail address or code word (through the
blind index, never by decrypting cases), and by filters. A read model: the rows say whether the searcher
may open the case; for a case outside her need to know only reference, status and who works on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BERLIN
from engine.cases.need_to_know import visible_cases
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.person import blind_index
from engine.store.person_tables import CaseMerge, ContactRoute
from engine.store.tables import Case, Task

REFERENCE = re.compile(r"([0-9]{4})-([0-9]{1,8})")  # ASCII digits only (``\d`` takes every script's)
CASE_ID = re.compile(r"[0-9]{1,7}")
LIMIT = 50
BY_REFERENCE, BY_ID, BY_FILTERS = "aktenzeichen", "id", "filter"


@dataclass(frozen=True)
class CaseQuery:
    text: str = ""
    land: str | None = None
    office_type: str | None = None
    risk_level: str | None = None
    status: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None


@dataclass(frozen=True)
class Hit:
    id: int
    reference: str
    status: str
    visible: bool
    workers: tuple[str, ...]  # assignees of open tasks, or "group:NAME" for unclaimed ones
    risk_level: str | None = None  # the rest only for a case within need to know
    land: str | None = None
    office_type: str | None = None
    opened_at: datetime | None = None


@dataclass(frozen=True)
class SearchResult:
    kind: str  # aktenzeichen, id, telefon, email, codewort, filter
    hits: tuple[Hit, ...] = field(default_factory=tuple)
    more: bool = False


def normalised_reference(text: str) -> str | None:
    found = REFERENCE.fullmatch((text or "").strip())
    return f"{found.group(1)}-{int(found.group(2)):05d}" if found else None


def case_id_for(session: Session, text: str) -> int | None:
    """The case a reference (``2026-00013``, also ``2026-13``) or a plain id names, if it exists."""
    reference = normalised_reference(text)
    if reference is not None:
        return session.scalar(select(Case.id).where(Case.reference == reference))
    if CASE_ID.fullmatch((text or "").strip()):
        return session.scalar(select(Case.id).where(Case.id == int(text.strip())))
    return None


def find_case(ctx: EngineContext, text: str) -> int | None:
    with ctx.unit_of_work(writes=False) as session:
        return case_id_for(session, text)


def merge_target(session: Session, case_id: int) -> int | None:
    """Where a merged case points to (following chains of merges), or None."""
    seen: set[int] = set()
    target = None
    while case_id not in seen:
        seen.add(case_id)
        found = session.scalar(select(CaseMerge.target_case_id).where(CaseMerge.merged_case_id == case_id))
        if found is None:
            break
        target = case_id = found
    return target


def merge_target_of(ctx: EngineContext, case_id: int) -> int | None:
    with ctx.unit_of_work(writes=False) as session:
        return merge_target(session, case_id)


def search_cases(
    ctx: EngineContext, actor: Actor, query: CaseQuery, now: datetime | None = None, limit: int = LIMIT
) -> SearchResult:
    """RouteInvalid for a phone number or address that cannot be normalised; audited without the text."""
    now = now or ctx.clock.now()
    kind, statement = _statement(ctx, query)
    with ctx.unit_of_work() as session:
        # need to know for the page of results only, asked in the same statement
        shown = visible_cases(actor).label("shown")
        rows = session.execute(statement.add_columns(shown).limit(limit + 1)).all()
        hits = _hits(session, rows[:limit])
        if ctx.is_postgres:
            # the search's audit row is committed without waiting for the disk flush: still atomic and in
            # the write-ahead log, lost only if the database server itself crashes in the next instant;
            # a search is frequent and shows no content (opening a case stays a synchronous commit)
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        audit.record(session, now, actor.username, "case_searched", None, kind)
        session.commit()
    return SearchResult(kind, hits, len(rows) > limit)


_COLUMNS = (
    Case.id,
    Case.reference,
    Case.status,
    Case.risk_level,
    Case.land,
    Case.office_type,
    Case.opened_at,
)


def _statement(ctx: EngineContext, query: CaseQuery) -> tuple[str, Select]:
    text = (query.text or "").strip()
    statement = select(*_COLUMNS)
    kind = BY_FILTERS
    reference = normalised_reference(text)
    if reference is not None:
        kind, statement = BY_REFERENCE, statement.where(Case.reference == reference)
    elif CASE_ID.fullmatch(text):
        kind, statement = BY_ID, statement.where(Case.id == int(text))
    elif text:
        kind = blind_index.guess_kind(text) or blind_index.CODE_WORD
        value = blind_index.normalised(kind, text)
        every = [blind_index.digest(key, kind, value) for key in ctx.index_keys]
        routes = select(ContactRoute.case_id).where(ContactRoute.digest.in_(every), ContactRoute.kind == kind)
        statement = statement.where(Case.id.in_(routes))
    if kind not in (BY_REFERENCE, BY_ID):
        statement = statement.where(Case.status != "merged")
    for column, value in (
        (Case.land, query.land),
        (Case.office_type, query.office_type),
        (Case.risk_level, query.risk_level),
        (Case.status, query.status),
    ):
        if value:
            statement = statement.where(column == value)
    if query.opened_from:
        statement = statement.where(Case.opened_at >= _start_of(query.opened_from))
    if query.opened_to:
        statement = statement.where(Case.opened_at < _start_of(query.opened_to + timedelta(days=1)))
    return kind, statement.order_by(Case.opened_at.desc(), Case.id.desc())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), BERLIN)


def _hits(session: Session, rows: list) -> tuple[Hit, ...]:
    ids = [row.id for row in rows]
    if not ids:
        return ()
    workers: dict[int, list[str]] = {}
    for case_id, assignee, group in session.execute(
        select(Task.case_id, Task.assignee, Task.candidate_group)
        .where(Task.case_id.in_(ids), Task.status == "open")
        .order_by(Task.created_at)
    ):
        who = assignee or f"group:{group}"
        if who not in workers.setdefault(case_id, []):
            workers[case_id].append(who)
    hits = []
    for row in rows:
        shown = bool(row.shown)
        hits.append(
            Hit(
                row.id,
                row.reference or str(row.id),
                row.status,
                shown,
                tuple(workers.get(row.id, ())),
                row.risk_level if shown else None,
                row.land if shown else None,
                row.office_type if shown else None,
                row.opened_at if shown else None,
            )
        )
    return tuple(hits)
