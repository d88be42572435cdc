"""Reminders for agreed callbacks and appointments, and the escalation of missed ones.

A reminder e-mail goes to the counsellor who agreed it a little before the time; a callback still open
an hour after its time is missed: the case is marked escalated, its task moves up, and the team leads get
an e-mail, as for any other overdue deadline (``engine.deadlines.escalation``). Each happens once per
agreed time (moving it starts over); safe to run in several processes (conditional updates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.cases.appointments import task_id_of, title_of
from engine.kernel import audit, outbox
from engine.kernel.actor import TEAM_LEAD
from engine.kernel.context import EngineContext
from engine.staff.cover import berlin_day, cover_of
from engine.store.access_tables import Appointment
from engine.store.tables import Case, Task

REMIND_BEFORE = timedelta(minutes=15)
MISSED_AFTER = timedelta(hours=1)
ESCALATED_PRIORITY = 95
BATCH = 200


@dataclass
class AppointmentReport:
    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


def sweep_appointments(ctx: EngineContext, now: datetime | None = None) -> AppointmentReport:
    now = now or ctx.clock.now()
    report = AppointmentReport()
    with ctx.unit_of_work() as session:
        for row in _due(session, Appointment.reminded_at, now + REMIND_BEFORE):
            if _claim(session, row, Appointment.reminded_at, now):
                _remind(session, row, now)
                report.reminded.append(row.id)
        for row in _due(session, Appointment.escalated_at, now - MISSED_AFTER):
            if _claim(session, row, Appointment.escalated_at, now):
                _escalate(session, row, now)
                report.escalated.append(row.id)
        session.commit()
    return report


def _due(session: Session, mark, before: datetime) -> list[Appointment]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.status == "open", mark.is_(None), Appointment.due_at <= before)
            .order_by(Appointment.due_at)
            .limit(BATCH)
        )
    )


def _claim(session: Session, row: Appointment, mark, now: datetime) -> bool:  # type: ignore[no-untyped-def]
    """Set the mark unless another sweep did: only one of them sends."""
    done = session.execute(
        update(Appointment).where(Appointment.id == row.id, mark.is_(None)).values({mark.key: now})
    )
    return done.rowcount == 1


def _reference(session: Session, case_id: int) -> str:
    return session.scalar(select(Case.reference).where(Case.id == case_id)) or str(case_id)


def _remind(session: Session, row: Appointment, now: datetime) -> None:
    reference = _reference(session, row.case_id)
    title = title_of(row.kind, row.channel)
    outbox.enqueue(
        session,
        now,
        dedupe_key=f"appointment-reminder:{row.id}:{row.due_at.isoformat()}",
        kind="reminder",
        recipient=f"staff:{cover_of(session, row.owner, berlin_day(now)) or row.owner}",  # the cover while away
        subject=f"Lotse: {title} in Fall {reference}",
        body=f"Fall {reference}: {title} ist vereinbart. Agenda: /termine · Fall: /faelle/{row.case_id}",
        case_id=row.case_id,
    )
    audit.record(session, now, "system", "reminded", row.case_id, f"lotse_{row.kind}")


def _escalate(session: Session, row: Appointment, now: datetime) -> None:
    reference = _reference(session, row.case_id)
    title = title_of(row.kind, row.channel)
    session.execute(update(Case).where(Case.id == row.case_id).values(escalated=True))
    session.execute(
        update(Task).where(Task.case_id == row.case_id, Task.status == "open").values(case_escalated=True)
    )
    session.execute(
        update(Task)
        .where(Task.id == task_id_of(row.id), Task.status == "open")
        .values(priority=ESCALATED_PRIORITY)
    )
    outbox.enqueue(
        session,
        now,
        dedupe_key=f"appointment-escalation:{row.id}:{row.due_at.isoformat()}",
        kind="escalation",
        recipient=f"group:{TEAM_LEAD}",
        subject=f"Lotse: Eskalation in Fall {reference}",
        body=f"Fall {reference}: {title} wurde nicht wahrgenommen. Bitte in Lotse öffnen: /faelle/{row.case_id}",
        case_id=row.case_id,
    )
    audit.record(session, now, "system", "escalated", row.case_id, f"lotse_{row.kind}")
