"""Absence and cover: while a person is away (first to last day, Berlin dates), new assignments, reminders
and the digest go to the cover, the cover's inbox lists the absent person's open tasks ("vertreten für"),
and need to know extends to the cover for the absent person's cases (``engine.cases.need_to_know``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotPermitted
from engine.staff.cover import ABSENT, COVER, berlin_day, covered_by
from engine.store.account_tables import Absence
from engine.store.tables import Staff, Task


class AbsenceInvalid(DomainError):
    code = "absence_invalid"


@dataclass(frozen=True)
class AbsenceRow:
    id: int
    username: str
    display_name: str
    cover: str
    cover_name: str
    first_day: date
    last_day: date


@dataclass(frozen=True)
class CoveredTask:
    """An open task of an absent person, in their cover's inbox."""

    id: str
    case_id: int
    case_reference: str | None
    title: str
    due_at: datetime | None
    absent: str  # the absent person's display name


def set_absence(
    ctx: EngineContext,
    actor: Actor,
    username: str,
    cover: str,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
) -> int:
    """Record an absence: by the person or a team lead; the cover must be another active colleague."""
    now = now or ctx.clock.now()
    if actor.username != username and not actor.is_team_lead:
        raise NotPermitted("set absence")
    if last_day < first_day or last_day < berlin_day(now):
        raise AbsenceInvalid(
            "Der letzte Tag darf nicht vor dem ersten Tag und nicht in der Vergangenheit liegen.",
            "The last day may be neither before the first day nor in the past.",
        )
    with ctx.unit_of_work() as session:
        away = session.scalar(select(Staff).where(Staff.username == username, Staff.active.is_(True)))
        standing_in = session.scalar(select(Staff).where(Staff.username == cover, Staff.active.is_(True)))
        if away is None or standing_in is None or away.id == standing_in.id:
            raise AbsenceInvalid(
                "Bitte wählen Sie eine andere aktive Kollegin oder einen anderen aktiven Kollegen als Vertretung.",
                "Please choose another active colleague as cover.",
            )
        overlapping = session.scalar(
            select(Absence.id).where(
                Absence.staff_id == away.id, Absence.first_day <= last_day, Absence.last_day >= first_day
            )
        )
        if overlapping is not None:
            raise AbsenceInvalid(
                "In diesem Zeitraum ist bereits eine Abwesenheit eingetragen.",
                "An absence is already recorded for this period.",
            )
        absence = Absence(
            staff_id=away.id,
            cover_id=standing_in.id,
            first_day=first_day,
            last_day=last_day,
            created_at=now,
            created_by=actor.username,
        )
        session.add(absence)
        session.flush()
        detail = f"{username} → {cover}, {first_day.isoformat()}–{last_day.isoformat()}; need to know extends"
        audit.record(session, now, actor.username, "absence_set", None, detail)
        session.commit()
        return absence.id


def end_absence(ctx: EngineContext, actor: Actor, absence_id: int, now: datetime | None = None) -> None:
    """End an absence early (it ended yesterday) or drop one that has not begun."""
    now = now or ctx.clock.now()
    today = berlin_day(now)
    with ctx.unit_of_work() as session:
        found = session.execute(
            select(Absence, Staff.username)
            .join(Staff, Staff.id == Absence.staff_id)
            .where(Absence.id == absence_id)
        ).first()
        if found is None:
            return
        absence, username = found
        if actor.username != username and not actor.is_team_lead:
            raise NotPermitted("end absence")
        if absence.first_day >= today:
            session.delete(absence)
        else:
            absence.last_day = min(absence.last_day, today - timedelta(days=1))
        audit.record(session, now, actor.username, "absence_ended", None, f"{username}, {absence_id}")
        session.commit()


def current_absences(ctx: EngineContext, now: datetime | None = None) -> list[AbsenceRow]:
    """Absences that have not ended yet (running and planned), the earliest first."""
    today = berlin_day(now or ctx.clock.now())
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(
                Absence.id,
                ABSENT.username,
                ABSENT.display_name,
                COVER.username,
                COVER.display_name,
                Absence.first_day,
                Absence.last_day,
            )
            .join(ABSENT, ABSENT.id == Absence.staff_id)
            .join(COVER, COVER.id == Absence.cover_id)
            .where(Absence.last_day >= today)
            .order_by(Absence.first_day, ABSENT.display_name)
        ).all()
    return [AbsenceRow(*row) for row in rows]


def covered_tasks(ctx: EngineContext, cover: str, now: datetime | None = None) -> list[CoveredTask]:
    """The open tasks of the people ``cover`` stands in for today."""
    today = berlin_day(now or ctx.clock.now())
    with ctx.unit_of_work(writes=False) as session:
        absent = sorted(covered_by(session, cover, today))
        if not absent:
            return []
        rows = session.execute(
            select(Task.id, Task.case_id, Task.case_reference, Task.title, Task.due_at, Staff.display_name)
            .join(Staff, Staff.username == Task.assignee)
            .where(Task.status == "open", Task.assignee.in_(absent))
            .order_by(Task.due_at, Task.created_at)
        ).all()
    return [CoveredTask(*row) for row in rows]
