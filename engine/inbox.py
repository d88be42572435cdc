"""The task inbox: open tasks from the task projection only, by tab, filter, sort order and page."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from engine.business_calendar import BusinessCalendar
from engine.cases import Actor
from engine.models import Case, Staff, Task

TABS = ("mine", "groups", "overdue", "all")
DUE_WINDOWS = ("overdue", "today", "3days", "none")
SORTS = ("due", "priority")
RISK_LEVELS = ("AKUT", "HOCH", "MITTEL", "NIEDRIG", "INFO")
PER_PAGE = 25
MAX_PAGE = 10_000


@dataclass(frozen=True)
class InboxFilter:
    """What the person asked for; unknown values fall back to the defaults (see ``cleaned``)."""

    tab: str = "mine"
    risk: str | None = None
    step: str | None = None
    land: str | None = None
    due: str | None = None
    sort: str = "due"
    page: int = 1

    def cleaned(self, actor: Actor) -> InboxFilter:
        tab = self.tab if self.tab in tabs_for(actor) else "mine"
        return replace(
            self,
            tab=tab,
            risk=self.risk if self.risk in RISK_LEVELS else None,
            step=self.step[:100] if self.step else None,
            land=self.land if self.land and len(self.land) == 2 and self.land.isalpha() else None,
            due=self.due if self.due in DUE_WINDOWS else None,
            sort=self.sort if self.sort in SORTS else "due",
            page=min(max(1, self.page), MAX_PAGE),
        )


@dataclass(frozen=True)
class InboxRow:
    task_id: str
    case_id: int
    reference: str | None
    element_id: str
    title: str
    risk_level: str | None
    land: str | None
    due_at: datetime | None
    priority: int
    assignee: str | None
    candidate_group: str | None
    escalation: bool
    case_escalated: bool
    assignee_name: str | None


@dataclass(frozen=True)
class InboxPage:
    filter: InboxFilter
    rows: list[InboxRow]
    total: int
    pages: int
    counts: dict[str, int]


def tabs_for(actor: Actor) -> tuple[str, ...]:
    return TABS if actor.is_team_lead else TABS[:3]


def tab_condition(actor: Actor, tab: str, now: datetime) -> ColumnElement[bool]:
    mine = Task.assignee == actor.username
    groups = (
        and_(Task.candidate_group.in_(sorted(actor.groups)), Task.assignee.is_(None))
        if actor.groups
        else false()
    )
    if tab == "mine":
        return mine
    if tab == "groups":
        return groups
    if tab == "overdue":
        scope = true() if actor.is_team_lead else or_(mine, groups)
        return and_(scope, Task.due_at < now)
    return true() if actor.is_team_lead else false()


_ROW_COLUMNS = (
    Task.id,
    Task.case_id,
    Case.reference,
    Task.element_id,
    Task.title,
    Case.risk_level,
    Case.land,
    Task.due_at,
    Task.priority,
    Task.assignee,
    Task.candidate_group,
    Task.escalation,
    Case.escalated,
    Staff.display_name,
)


def inbox_page(
    session: Session,
    actor: Actor,
    wanted: InboxFilter,
    now: datetime,
    calendar: BusinessCalendar,
    shared: SharedCounts | None = None,
) -> InboxPage:
    wanted = wanted.cleaned(actor)
    counts = _tab_counts(session, actor, now, shared)
    if wanted.risk or wanted.land or wanted.step or wanted.due:
        total = _count(
            session, _filtered(select(func.count()).select_from(Task), actor, wanted, now, calendar)
        )
    else:
        total = counts[wanted.tab]
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(wanted.page, pages)
    wanted = replace(wanted, page=page)
    # Pick the page's task ids first (from the indexes alone where possible), then read their rows.
    chosen = (
        _filtered(select(Task.id), actor, wanted, now, calendar)
        .order_by(*_order(wanted.sort))
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    query = (
        select(*_ROW_COLUMNS)
        .join_from(Task, Case, Case.id == Task.case_id)
        .outerjoin(Staff, Staff.username == Task.assignee)
        .where(Task.id.in_(chosen))
        .order_by(*_order(wanted.sort))
    )
    rows = [InboxRow(*row) for row in session.execute(query)]
    return InboxPage(wanted, rows, total, pages, counts)


class SharedCounts:
    """Tab counts that are the same for everyone with the same groups, kept for a few seconds.

    "Meine Gruppen", "Überfällig" of the groups and the team leads' "Alle offenen" count thousands of
    index entries and are identical for a whole team, so one process answers them at most every
    ``ttl`` seconds; a person's own counts ("Meine Aufgaben") are always read fresh, and an action in
    this process (claim, release, complete) forgets the cache at once.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = timedelta(seconds=ttl)
        self._entries: dict[tuple[frozenset[str], bool], tuple[datetime, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[frozenset[str], bool], now: datetime) -> dict[str, int] | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or not entry[0] - self.ttl <= now < entry[0]:  # expired, or the clock went back
            return None
        return entry[1]

    def put(self, key: tuple[frozenset[str], bool], counts: dict[str, int], now: datetime) -> None:
        if not self.ttl:
            return
        with self._lock:
            self._entries[key] = (now + self.ttl, counts)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _open_count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return select(func.count()).select_from(Task).where(Task.status == "open", *conditions).scalar_subquery()


def _tab_counts(session: Session, actor: Actor, now: datetime, shared: SharedCounts | None) -> dict[str, int]:
    """The open tasks of every tab the actor has: their own counts fresh, the team's from ``shared``.

    "Mine" (assigned to the actor) and "my groups" (unassigned) never overlap, so the overdue tab of
    a counsellor is the sum of both parts; each part is answered from one partial index.
    """
    overdue = Task.due_at < now
    mine = tab_condition(actor, "mine", now)
    key = (frozenset(actor.groups), actor.is_team_lead)
    team = shared.get(key, now) if shared is not None else None
    own_columns = [_open_count(mine).label("mine")]
    if not actor.is_team_lead:
        own_columns.append(_open_count(mine, overdue).label("mine_overdue"))
    team_columns: list[ColumnElement[int]] = []
    if team is None:
        groups = tab_condition(actor, "groups", now)
        team_columns.append(_open_count(groups).label("groups"))
        if actor.is_team_lead:
            team_columns += [_open_count(overdue).label("overdue"), _open_count().label("all")]
        else:
            team_columns.append(_open_count(groups, overdue).label("overdue"))
    row = session.execute(select(*own_columns, *team_columns)).one()._mapping
    if team is None:
        team = {column.name: int(row[column.name] or 0) for column in team_columns}
        if shared is not None:
            shared.put(key, team, now)
    counts = {"mine": int(row["mine"] or 0), **team}
    if not actor.is_team_lead:
        counts["overdue"] = team["overdue"] + int(row["mine_overdue"] or 0)
    return {tab: counts[tab] for tab in tabs_for(actor)}


def _count(session: Session, query: Select[tuple[int]]) -> int:
    return int(session.scalar(query) or 0)


def _filtered(
    query: Select, actor: Actor, wanted: InboxFilter, now: datetime, calendar: BusinessCalendar
) -> Select:
    if wanted.risk or wanted.land:  # every task has its case, so the join is needed only to filter
        query = query.join(Case, Case.id == Task.case_id)
    query = query.where(Task.status == "open", tab_condition(actor, wanted.tab, now))
    if wanted.risk:
        query = query.where(Case.risk_level == wanted.risk)
    if wanted.land:
        query = query.where(Case.land == wanted.land)
    if wanted.step:
        query = query.where(Task.element_id == wanted.step)
    if wanted.due == "overdue":
        query = query.where(Task.due_at < now)
    elif wanted.due == "today":
        query = query.where(Task.due_at <= _end_of_day(now, calendar))
    elif wanted.due == "3days":
        query = query.where(Task.due_at <= calendar.add_working_days(now, 3))
    elif wanted.due == "none":
        query = query.where(Task.due_at.is_(None))
    return query


def _end_of_day(now: datetime, calendar: BusinessCalendar) -> datetime:
    local = now.astimezone(calendar.tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=calendar.tz)
    return midnight


def _order(sort: str) -> tuple[ColumnElement, ...]:
    due = Task.due_at.asc().nulls_last()
    if sort == "priority":
        return (Task.priority.desc(), due, Task.id)
    return (due, Task.priority.desc(), Task.id)
