"""The task inbox: open tasks from the task projection only, by tab, filter, sort order and page."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from engine.business_calendar import BusinessCalendar
from engine.cases import Actor
from engine.models import Case, Task

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
)


def inbox_page(
    session: Session, actor: Actor, wanted: InboxFilter, now: datetime, calendar: BusinessCalendar
) -> InboxPage:
    wanted = wanted.cleaned(actor)
    counts = _tab_counts(session, actor, now)
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
        .where(Task.id.in_(chosen))
        .order_by(*_order(wanted.sort))
    )
    rows = [InboxRow(*row) for row in session.execute(query)]
    return InboxPage(wanted, rows, total, pages, counts)


def _tab_counts(session: Session, actor: Actor, now: datetime) -> dict[str, int]:
    """The open tasks of every tab the actor has, in one statement.

    "Mine" (assigned to the actor) and "my groups" (unassigned) never overlap, so the overdue tab of
    a counsellor is the sum of both parts; each part is answered from one partial index.
    """

    def count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return (
            select(func.count()).select_from(Task).where(Task.status == "open", *conditions).scalar_subquery()
        )

    overdue = Task.due_at < now
    mine = tab_condition(actor, "mine", now)
    groups = tab_condition(actor, "groups", now)
    columns: dict[str, ColumnElement[int]] = {"mine": count(mine), "groups": count(groups)}
    if actor.is_team_lead:
        columns["overdue"] = count(overdue)
        columns["all"] = count()
    else:
        columns["overdue"] = count(mine, overdue) + count(groups, overdue)
    row = session.execute(select(*(columns[tab].label(tab) for tab in tabs_for(actor)))).one()
    return {tab: int(row._mapping[tab] or 0) for tab in tabs_for(actor)}


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
