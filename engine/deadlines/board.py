"""The team lead's view of deadlines: overdue, due in the next three working days, escalated, by counsellor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BusinessCalendar
from engine.kernel.context import EngineContext
from engine.kernel.message_content import session_vault
from engine.store.tables import Case, StrafantragRow, Task
from engine.store.vault import Vault, VaultError
from engine.strafantrag.offence_content import open_offence

HORIZON_WORKING_DAYS = 3
LIST_LIMIT = 200
STRAFANTRAG_HORIZON_DAYS = 28  # legal deadlines are shown four weeks ahead


@dataclass(frozen=True)
class Workload:
    """Open tasks of one counsellor (``assignee=None``: not yet claimed, per group)."""

    assignee: str | None
    candidate_group: str | None
    open: int
    overdue: int
    due_soon: int
    escalations: int


@dataclass(frozen=True)
class Deadline:
    task_id: str
    case_id: int
    reference: str | None
    title: str
    risk_level: str | None
    due_at: datetime
    assignee: str | None
    candidate_group: str | None
    escalation: bool
    case_escalated: bool


@dataclass(frozen=True)
class StrafantragDeadline:
    """An open Strafantrag period of an open case ending within the horizon, or already ended."""

    case_id: int
    reference: str | None
    offence: str
    deadline: date
    status: str


@dataclass(frozen=True)
class DeadlineBoard:
    horizon: datetime
    workloads: list[Workload]
    deadlines: list[Deadline]
    escalated_cases: int
    strafantraege: list[StrafantragDeadline]


def read_deadline_board(ctx: EngineContext, now: datetime) -> DeadlineBoard:
    """The board as the team leads' page shows it, read in one unit of work."""
    with ctx.unit_of_work(writes=False) as session:
        return deadline_board(session, now, ctx.calendar)


def deadline_board(session: Session, now: datetime, calendar: BusinessCalendar) -> DeadlineBoard:
    horizon = calendar.add_working_days(now, HORIZON_WORKING_DAYS)
    overdue = func.sum(case((Task.due_at < now, 1), else_=0))
    soon = func.sum(case(((Task.due_at >= now) & (Task.due_at <= horizon), 1), else_=0))
    escalations = func.sum(case((Task.escalation.is_(True), 1), else_=0))
    group = case((Task.assignee.is_(None), Task.candidate_group), else_=None)
    workloads = [
        Workload(row[0], row[1], int(row[2]), int(row[3] or 0), int(row[4] or 0), int(row[5] or 0))
        for row in session.execute(
            select(Task.assignee, group, func.count(), overdue, soon, escalations)
            .where(Task.status == "open")
            .group_by(Task.assignee, group)
            .order_by(overdue.desc(), Task.assignee)
        )
    ]
    deadlines = [
        Deadline(*row)
        for row in session.execute(
            select(
                Task.id,
                Task.case_id,
                Case.reference,
                Task.title,
                Case.risk_level,
                Task.due_at,
                Task.assignee,
                Task.candidate_group,
                Task.escalation,
                Case.escalated,
            )
            .join(Case, Case.id == Task.case_id)
            .where(Task.status == "open", Task.due_at <= horizon)
            .order_by(Task.due_at, Task.id)
            .limit(LIST_LIMIT)
        )
    ]
    escalated_cases = session.scalar(
        select(func.count()).select_from(Case).where(Case.status == "open", Case.escalated.is_(True))
    )
    today = now.astimezone(calendar.tz).date()
    return DeadlineBoard(
        horizon,
        workloads,
        deadlines,
        int(escalated_cases or 0),
        strafantrag_deadlines(session, today + timedelta(days=STRAFANTRAG_HORIZON_DAYS)),
    )


def strafantrag_deadlines(session: Session, until: date) -> list[StrafantragDeadline]:
    rows = session.execute(
        select(
            StrafantragRow.case_id,
            Case.reference,
            StrafantragRow.sealed,
            StrafantragRow.deadline,
            StrafantragRow.status,
        )
        .join(Case, Case.id == StrafantragRow.case_id)
        .where(Case.status == "open", StrafantragRow.status == "offen", StrafantragRow.deadline <= until)
        .order_by(StrafantragRow.deadline, StrafantragRow.id)
        .limit(LIST_LIMIT)
    )
    vault = session_vault(session)
    return [
        StrafantragDeadline(case_id, reference, _offence(vault, case_id, sealed), deadline, status)
        for case_id, reference, sealed, deadline, status in rows
    ]


def _offence(vault: Vault, case_id: int, sealed: bytes | None) -> str:
    """The offence code; one unreadable row (a key missing, altered data) shows a dash, not a failed board."""
    try:
        return open_offence(vault, case_id, sealed).offence
    except VaultError:
        return "—"
