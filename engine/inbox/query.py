"""The task inbox: open tasks from the task projection only, by tab, filter, sort order and page."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)

from engine.calendar.business_calendar import BusinessCalendar
from engine.inbox.acute import ACUTE_LITERAL, unclaimed_acute_count
from engine.inbox.shared_counts import SharedCounts
from engine.kernel.actor import Actor
from engine.store.tables import ProcessVersion, Staff, Task

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

    @property
    def narrowed(self) -> bool:
        """Whether filters narrow the tab, so its count is not the page total."""
        return bool(self.risk or self.land or self.step or self.due)


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
    process_version_id: int | None = None  # the newest version of the process asked for, if any
    acute: int = 0  # unclaimed tasks of AKUT cases in the person's groups, if asked for (``with_acute``)


@dataclass(frozen=True)
class HeadShape:
    """What the head statement counts besides the person's own tabs (see ``inbox_page``)."""

    team: bool  # the team's tabs (unless shared)
    totals: tuple[str, ...]  # filtered totals: "total", or a counsellor's "own_total" and "team_total"
    version: bool  # the newest version of the process
    acute: bool  # the header's AKUT alert


# The status as a literal, not a parameter: a prepared statement's generic plan can then use the
# partial indexes (``WHERE status = 'open'``), so PostgreSQL stops planning each execution anew.
OPEN: ColumnElement[bool] = Task.status == literal_column("'open'")


def tabs_for(actor: Actor) -> tuple[str, ...]:
    return TABS if actor.is_team_lead else TABS[:3]


def tab_condition(actor: Actor, tab: str) -> ColumnElement[bool]:
    """Which open tasks a tab lists, with the person (``username``, ``groups``) and ``now`` as parameters."""
    mine = Task.assignee == bindparam("username")
    groups = (
        and_(Task.candidate_group.in_(bindparam("groups", expanding=True)), Task.assignee.is_(None))
        if actor.groups
        else false()
    )
    if tab == "mine":
        return mine
    if tab == "groups":
        return groups
    if tab == "overdue":
        scope = true() if actor.is_team_lead else or_(mine, groups)
        return and_(scope, Task.due_at < bindparam("now"))
    return true() if actor.is_team_lead else false()


_ROW_COLUMNS = (
    Task.id,
    Task.case_id,
    Task.case_reference,
    Task.element_id,
    Task.title,
    Task.case_risk_level,
    Task.case_land,
    Task.due_at,
    Task.priority,
    Task.assignee,
    Task.candidate_group,
    Task.escalation,
    Task.case_escalated,
    Staff.display_name,
)


def inbox_page(
    connection: Connection,
    actor: Actor,
    wanted: InboxFilter,
    now: datetime,
    calendar: BusinessCalendar,
    shared: SharedCounts | None = None,
    process_key: str | None = None,
    with_acute: bool = False,
) -> InboxPage:
    """One page of a tab in two statements: the counts (and the filtered total, the newest version of
    ``process_key``, and with ``with_acute`` the header's AKUT alert count), then the page's rows.
    Statements are built once per shape and reused."""
    wanted = wanted.cleaned(actor)
    params = _parameters(actor, wanted, now, calendar, process_key)
    key = (frozenset(actor.groups), actor.is_team_lead)
    team = shared.get(key, now) if shared is not None else None
    # A counsellor's filtered "Überfällig" is their own part plus their groups' part: counted apart (each
    # from its own index), the groups' part is a team count like a filtered total of a team's tab.
    split = wanted.narrowed and wanted.tab == "overdue" and not actor.is_team_lead and bool(actor.groups)
    team_tab = split or wanted.tab in ("groups", "all") or (wanted.tab == "overdue" and actor.is_team_lead)
    total_key = (*key, wanted.tab, wanted.risk, wanted.land, wanted.step, wanted.due)
    shared_total = shared.get(total_key, now) if shared is not None and wanted.narrowed and team_tab else None
    totals = _total_columns(wanted.narrowed, split, shared_total is not None)
    with_acute = with_acute and (actor.is_team_lead or bool(actor.groups))
    shape = HeadShape(team is None, totals, process_key is not None, with_acute)
    found = connection.execute(_head_statement(actor, wanted, shape), params).one()._mapping
    if team is None:
        team = {name: int(found[name] or 0) for name in _team_tabs(actor)}
        if shared is not None:
            shared.put(key, team, now)
    counts = {"mine": int(found["mine"] or 0), **team}
    if not actor.is_team_lead:
        counts["overdue"] = team["overdue"] + int(found["mine_overdue"] or 0)
    counts = {tab: counts[tab] for tab in tabs_for(actor)}
    if wanted.narrowed:
        if shared_total is not None:
            counted = shared_total["total"]
        else:
            counted = int(found["team_total" if split else "total"] or 0)
            if shared is not None and team_tab:
                shared.put(total_key, {"total": counted}, now)
        total = counted + (int(found["own_total"] or 0) if split else 0)
    else:
        total = counts[wanted.tab]
    pages = max(1, math.ceil(total / PER_PAGE))
    wanted = replace(wanted, page=min(wanted.page, pages))
    offset = (wanted.page - 1) * PER_PAGE
    params.update(limit=PER_PAGE, offset=offset, reach=offset + PER_PAGE)
    rows = [InboxRow(*row) for row in connection.execute(_rows_statement(actor, wanted), params)]
    version_id = found["version_id"] if process_key is not None else None
    acute = int(found["acute"] or 0) if with_acute else 0
    return InboxPage(wanted, rows, total, pages, counts, version_id, acute)


def _total_columns(narrowed: bool, split: bool, shared: bool) -> tuple[str, ...]:
    """Which filtered totals the head statement counts (see ``inbox_page``)."""
    if not narrowed:
        return ()
    if split:
        return ("own_total",) if shared else ("own_total", "team_total")
    return () if shared else ("total",)


def _parameters(
    actor: Actor, wanted: InboxFilter, now: datetime, calendar: BusinessCalendar, process_key: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"username": actor.username, "now": now}
    if actor.groups:
        params["groups"] = sorted(actor.groups)
    params.update({name: getattr(wanted, name) for name in ("risk", "land", "step") if getattr(wanted, name)})
    if wanted.due == "today":
        params["due_until"] = _end_of_day(now, calendar)
    elif wanted.due == "3days":
        params["due_until"] = calendar.add_working_days(now, 3)
    if process_key is not None:
        params["process_key"] = process_key
    return params


def _shape(actor: Actor, wanted: InboxFilter) -> tuple[Any, ...]:
    """What decides the text of a statement (never the values, which are parameters)."""
    due = "until" if wanted.due in ("today", "3days") else wanted.due
    return (
        actor.is_team_lead,
        bool(actor.groups),
        wanted.tab,
        bool(wanted.risk),
        bool(wanted.land),
        bool(wanted.step),
        due,
    )


_statements: dict[tuple[Any, ...], Select] = {}


def _head_statement(actor: Actor, wanted: InboxFilter, shape: HeadShape) -> Select:
    key = ("head", *_shape(actor, wanted), shape)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = _build_head(actor, wanted, shape)
    return found


def _rows_statement(actor: Actor, wanted: InboxFilter) -> Select:
    key = ("rows", *_shape(actor, wanted), wanted.sort, wanted.page == 1)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = _build_rows(actor, wanted)
    return found


def _team_tabs(actor: Actor) -> tuple[str, ...]:
    return ("groups", "overdue", "all") if actor.is_team_lead else ("groups", "overdue")


def _open_count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return select(func.count()).select_from(Task).where(OPEN, *conditions).scalar_subquery()


def _build_head(actor: Actor, wanted: InboxFilter, shape: HeadShape) -> Select:
    """The tab counts: the actor's own always, the team's unless shared; "mine" and "my groups" never
    overlap, so a counsellor's overdue tab is the sum of both parts, each answered from one index."""
    overdue = Task.due_at < bindparam("now")
    mine = tab_condition(actor, "mine")
    columns: list[ColumnElement[Any]] = [_open_count(mine).label("mine")]
    if not actor.is_team_lead:
        columns.append(_open_count(mine, overdue).label("mine_overdue"))
    if shape.team:
        groups = tab_condition(actor, "groups")
        columns.append(_open_count(groups).label("groups"))
        if actor.is_team_lead:
            columns += [_open_count(overdue).label("overdue"), _open_count().label("all")]
        else:
            columns.append(_open_count(groups, overdue).label("overdue"))
    parts = {
        "total": wanted,
        "own_total": replace(wanted, tab="mine"),
        "team_total": replace(wanted, tab="groups"),
    }
    for name in shape.totals:
        counted = _filtered(select(func.count()).select_from(Task), actor, parts[name])
        if name != "total":  # a part of "Überfällig"
            counted = counted.where(overdue)
        columns.append(counted.scalar_subquery().label(name))
    if shape.version:
        newest = (
            select(ProcessVersion.id)
            .where(ProcessVersion.key == bindparam("process_key"))
            .order_by(ProcessVersion.version.desc())
            .limit(1)
        )
        columns.append(newest.scalar_subquery().label("version_id"))
    if shape.acute:
        columns.append(unclaimed_acute_count(actor).scalar_subquery().label("acute"))
    return select(*columns)


def _build_rows(actor: Actor, wanted: InboxFilter) -> Select:
    """Pick the page's task ids first (from the indexes alone where possible), then read their rows."""
    return (
        select(*_ROW_COLUMNS)
        .outerjoin_from(Task, Staff, Staff.username == Task.assignee)
        .where(Task.id.in_(_chosen(actor, wanted)))
        .order_by(*_order(wanted.sort))
    )


def _chosen(actor: Actor, wanted: InboxFilter) -> Select:
    """The ids of the page's tasks, in order. A counsellor's overdue tab is "mine" or "my groups", which
    never overlap: the first rows of each, read in order from its own index, are merged, instead of
    every overdue task of the team being fetched and sorted.

    The first page, the one most asked for, has its limit written into the statement and no offset: a
    limit or offset given as a parameter makes PostgreSQL's generic plan expect a tenth of all rows, so
    it kept planning such a statement anew at every execution; later pages still do (their offsets vary).
    """
    first = wanted.page == 1
    limit = literal_column(str(PER_PAGE)) if first else bindparam("limit")
    reach = limit if first else bindparam("reach")
    tabs = ("mine", "groups") if wanted.tab == "overdue" and not actor.is_team_lead and actor.groups else None
    parts = [
        _filtered(select(Task.id, Task.due_at, Task.priority, Task.case_risk_level), actor, wanted_part)
        .where(*([Task.due_at < bindparam("now")] if tabs else []), acute_or_not)
        .order_by(*_order(wanted.sort, acute_first=False))
        .limit(reach)
        .subquery()
        for wanted_part in ([replace(wanted, tab=tab) for tab in tabs] if tabs else [wanted])
        for acute_or_not in _acute_parts(wanted)
    ]
    merged = union_all(
        *(select(part.c.id, part.c.due_at, part.c.priority, part.c.case_risk_level) for part in parts)
    ).subquery()
    chosen = select(merged.c.id).order_by(*_order(wanted.sort, merged.c)).limit(limit)
    return chosen if first else chosen.offset(bindparam("offset"))


def _acute_parts(wanted: InboxFilter) -> tuple[ColumnElement[bool], ...]:
    """The parts a list is read in so that AKUT tasks come first: the AKUT ones and the others, or, under
    a risk filter, which already says which of the two the list is, that one part alone."""
    if wanted.risk:
        return (true(),)
    return (Task.case_risk_level == ACUTE_LITERAL, Task.case_risk_level.is_distinct_from(ACUTE_LITERAL))


def _filtered(query: Select, actor: Actor, wanted: InboxFilter) -> Select:
    query = query.where(OPEN, tab_condition(actor, wanted.tab))
    if wanted.risk:
        query = query.where(Task.case_risk_level == bindparam("risk"))
    if wanted.land:
        query = query.where(Task.case_land == bindparam("land"))
    if wanted.step:
        query = query.where(Task.element_id == bindparam("step"))
    if wanted.due == "overdue":
        query = query.where(Task.due_at < bindparam("now"))
    elif wanted.due in ("today", "3days"):
        query = query.where(Task.due_at <= bindparam("due_until"))
    elif wanted.due == "none":
        query = query.where(Task.due_at.is_(None))
    return query


def _end_of_day(now: datetime, calendar: BusinessCalendar) -> datetime:
    local = now.astimezone(calendar.tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=calendar.tz)
    return midnight


def _order(sort: str, columns: Any = Task, acute_first: bool = True) -> tuple[ColumnElement, ...]:
    """The list's order over ``columns`` (the task table, or a subquery with its id, due_at, priority and
    case_risk_level): tasks of AKUT cases first in every sort, then by the chosen sort. Without
    ``acute_first`` (for a part that holds only AKUT tasks, or none) it is the order of the indexes."""
    acute = (
        (case((columns.case_risk_level == ACUTE_LITERAL, literal_column("0")), else_=literal_column("1")),)
        if acute_first
        else ()
    )
    due = columns.due_at.asc().nulls_last()
    if sort == "priority":
        return (*acute, columns.priority.desc(), due, columns.id)
    return (*acute, due, columns.priority.desc(), columns.id)
