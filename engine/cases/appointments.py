"""Callbacks and appointments agreed with the person: recorded on the case, a task in the inbox of the
counsellor who agreed it (a Lotse-side row of the task projection, not a BPMN task), and the day agenda.

An agreement is not a step of the process: a case may have several at any time, in any step, and moving
one must not touch the workflow. So it lives in ``appointments`` (the note sealed, bound to the case) and
mirrors itself into one ``tasks`` row (id ``termin-<id>``), which puts it into the inbox, the digest and
the team lead's deadline board with no change to them. Reminders and the escalation of a missed callback
are in ``engine.deadlines.appointment_sweep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BERLIN
from engine.cases.need_to_know import require_case_access, visible_cases
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound
from engine.kernel.numbers import whole_number
from engine.staff.cover import berlin_day, cover_of
from engine.store.access_tables import Appointment
from engine.store.tables import Case, Task

KINDS = {"rueckruf": ("Rückruf", "Callback"), "termin": ("Termin", "Appointment")}
CHANNELS = {
    "telefon": ("Telefon", "Phone"),
    "video": ("Video", "Video"),
    "email": ("E-Mail", "E-mail"),
    "vor_ort": ("vor Ort", "in person"),
}
MAX_NOTE_CHARS = 500
TASK_PREFIX = "termin-"
TASK_PRIORITY = 40  # below a step (50): after a submit the next process step opens, not the callback


class AppointmentInvalid(DomainError):
    """Bad input; ``field`` names the form field the message belongs to."""

    code = "appointment_invalid"

    def __init__(self, field: str, german: str, english: str) -> None:
        super().__init__(german, english, field=field)
        self.field = field


@dataclass(frozen=True)
class AppointmentEntry:
    id: int
    case_id: int
    reference: str
    kind: str
    channel: str
    due_at: datetime
    owner: str
    note: str
    status: str

    @property
    def task_id(self) -> str:
        return task_id_of(self.id)


def task_id_of(appointment_id: int) -> str:
    return f"{TASK_PREFIX}{appointment_id}"


def appointment_of(task_id: str) -> int | None:
    """The appointment behind a task id of the projection, or None for a process task."""
    if task_id.startswith(TASK_PREFIX):
        return whole_number(task_id[len(TASK_PREFIX) :], 1)
    return None


def note_binding(case_id: int) -> bytes:
    return f"appointment:{case_id}".encode()


def title_of(kind: str, channel: str) -> str:
    return f"{KINDS[kind][0]} ({CHANNELS[channel][0]})"


def agree_appointment(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    kind: str,
    channel: str,
    due_at: datetime | None,
    note: str = "",
    now: datetime | None = None,
) -> int:
    """Record an agreed callback or appointment; it becomes the actor's task due at ``due_at``."""
    now = now or ctx.clock.now()
    note = _checked(kind, channel, due_at, note, now)
    assert due_at is not None
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        case = session.get(Case, case_id)
        assert case is not None
        if case.status != "open":
            raise AppointmentInvalid(
                "due_at",
                f"Fall {case.reference} ist nicht mehr offen.",
                f"Case {case.reference} is no longer open.",
            )
        appointment_id = session.execute(
            insert(Appointment).values(
                case_id=case_id,
                kind=kind,
                channel=channel,
                due_at=due_at,
                owner=actor.username,
                note=ctx.vault.seal(note.encode(), note_binding(case_id)) if note else None,
                status="open",
                created_at=now,
            )
        ).inserted_primary_key[0]
        # a callback that falls into the person's absence is her cover's task (she stays its owner)
        assignee = cover_of(session, actor.username, berlin_day(due_at)) or actor.username
        session.execute(
            insert(Task).values(**_task_row(case, int(appointment_id), kind, channel, due_at, assignee, now))
        )
        audit.record(session, now, actor.username, "appointment_agreed", case_id, kind)
        session.commit()
    return int(appointment_id)


def complete_appointment(
    ctx: EngineContext, actor: Actor, appointment_id: int, now: datetime | None = None
) -> None:
    """Mark it done (the callback was made, the appointment took place): its task is completed."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        found = _open_appointment(session, actor, appointment_id)
        session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id)
            .values(status="done", done_at=now, done_by=actor.username)
        )
        session.execute(
            update(Task)
            .where(Task.id == task_id_of(appointment_id), Task.status == "open")
            .values(status="completed", completed_at=now, completed_by=actor.username)
        )
        audit.record(session, now, actor.username, "appointment_done", found.case_id, found.kind)
        session.commit()


def reschedule_appointment(
    ctx: EngineContext,
    actor: Actor,
    appointment_id: int,
    due_at: datetime | None,
    now: datetime | None = None,
) -> None:
    """Move it to a new time: reminder and escalation start over, its task moves along."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        found = _open_appointment(session, actor, appointment_id)
        _checked(found.kind, found.channel, due_at, "", now)
        session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id)
            .values(due_at=due_at, reminded_at=None, escalated_at=None)
        )
        session.execute(
            update(Task)
            .where(Task.id == task_id_of(appointment_id), Task.status == "open")
            .values(due_at=due_at, priority=TASK_PRIORITY)
        )
        audit.record(session, now, actor.username, "appointment_rescheduled", found.case_id, found.kind)
        session.commit()


def move_appointments(ctx: EngineContext, session: Session, source: int, target: int) -> None:
    """A merged duplicate's appointments go to the target case, their notes sealed for it, their open
    tasks with them (``engine.person.merge``, in its transaction, before the duplicate's tasks end)."""
    facts = session.execute(
        select(Case.reference, Case.risk_level, Case.land, Case.escalated).where(Case.id == target)
    ).one()
    for row in session.scalars(select(Appointment).where(Appointment.case_id == source)):
        if row.note is not None:
            row.note = ctx.vault.seal(ctx.vault.open(row.note, note_binding(source)), note_binding(target))
        row.case_id = target
        session.execute(
            update(Task)
            .where(Task.id == task_id_of(row.id))
            .values(
                case_id=target,
                case_reference=facts.reference,
                case_risk_level=facts.risk_level,
                case_land=facts.land,
                case_escalated=facts.escalated,
            )
        )
    session.flush()


def case_appointments(ctx: EngineContext, actor: Actor, case_id: int) -> list[AppointmentEntry]:
    """The open appointments of a case (read as part of the audited case page)."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        query = _entries().where(Appointment.case_id == case_id, Appointment.status == "open")
        return _read(ctx, session, query)


def read_appointment(ctx: EngineContext, actor: Actor, appointment_id: int) -> AppointmentEntry:
    with ctx.unit_of_work() as session:
        row = session.get(Appointment, appointment_id)
        if row is None:
            raise NotFound("Termin/Appointment", appointment_id)
        require_case_access(session, actor, row.case_id)
        audit.record(session, ctx.clock.now(), actor.username, "case_viewed", row.case_id, "appointment")
        session.commit()
        return _read(ctx, session, _entries().where(Appointment.id == appointment_id))[0]


Scope = Literal["mine", "team"]


def agenda(
    ctx: EngineContext, actor: Actor, first_day: date, days: int, scope: Scope = "mine"
) -> list[AppointmentEntry]:
    """Open appointments from ``first_day`` for ``days`` days (Berlin time), the actor's or every one of
    the cases she may see (team). Overdue ones stay on today's agenda until done or moved."""
    start = datetime.combine(first_day, time(0), BERLIN)
    end = datetime.combine(first_day + timedelta(days=days), time(0), BERLIN)
    now = ctx.clock.now()
    if first_day <= now.astimezone(BERLIN).date() < first_day + timedelta(days=days):
        start = datetime(1970, 1, 1, tzinfo=BERLIN)  # what is overdue belongs to today
    query = _entries().where(
        Appointment.status == "open", Appointment.due_at >= start, Appointment.due_at < end
    )
    if scope == "mine":
        # hers, and those of the colleagues she stands in for today
        query = query.where(Appointment.owner.in_({actor.username, *actor.covering}))
    else:
        query = query.where(visible_cases(actor, now))
    with ctx.unit_of_work(writes=False) as session:
        return _read(ctx, session, query)


def _entries():  # type: ignore[no-untyped-def]
    return (
        select(Appointment, Case.reference)
        .join(Case, Case.id == Appointment.case_id)
        .order_by(Appointment.due_at, Appointment.id)
    )


def _read(ctx: EngineContext, session: Session, query) -> list[AppointmentEntry]:  # type: ignore[no-untyped-def]
    entries = []
    for row, reference in session.execute(query).all():
        note = ctx.vault.open(row.note, note_binding(row.case_id)).decode() if row.note else ""
        entries.append(
            AppointmentEntry(
                row.id, row.case_id, reference or str(row.case_id), row.kind, row.channel, row.due_at,
                row.owner, note, row.status,
            )
        )  # fmt: skip
    return entries


def _open_appointment(session: Session, actor: Actor, appointment_id: int) -> Appointment:
    row = session.get(Appointment, appointment_id)
    if row is None:
        raise NotFound("Termin/Appointment", appointment_id)
    require_case_access(session, actor, row.case_id)
    if row.status != "open":
        raise AppointmentInvalid(
            "status", "Dieser Termin ist nicht mehr offen.", "This appointment is no longer open."
        )
    return row


def _checked(kind: str, channel: str, due_at: datetime | None, note: str, now: datetime) -> str:
    if kind not in KINDS:
        raise AppointmentInvalid(
            "kind", "Bitte wählen Sie: Rückruf oder Termin.", "Please choose: callback or appointment."
        )
    if channel not in CHANNELS:
        raise AppointmentInvalid(
            "channel", "Bitte wählen Sie, auf welchem Weg.", "Please choose the channel."
        )
    if due_at is None:
        raise AppointmentInvalid(
            "due_at", "Bitte geben Sie Tag und Uhrzeit an.", "Please give the day and time."
        )
    if due_at < now - timedelta(minutes=5):
        raise AppointmentInvalid(
            "due_at", "Dieser Zeitpunkt liegt in der Vergangenheit.", "This time lies in the past."
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise AppointmentInvalid(
            "note",
            f"Die Notiz ist zu lang (höchstens {MAX_NOTE_CHARS} Zeichen).",
            f"The note is too long (at most {MAX_NOTE_CHARS} characters).",
        )
    return note


def _task_row(
    case: Case, appointment_id: int, kind: str, channel: str, due_at: datetime, assignee: str, now: datetime
) -> dict[str, object]:
    return {
        "id": task_id_of(appointment_id),
        "case_id": case.id,
        "element_id": f"lotse_{kind}",
        "title": title_of(kind, channel),
        "candidate_group": "beratung",
        "assignee": assignee,
        "due_at": due_at,
        "follow_up_at": None,
        "priority": TASK_PRIORITY,
        "escalation": False,
        "status": "open",
        "created_at": now,
        "case_reference": case.reference,
        "case_risk_level": case.risk_level,
        "case_land": case.land,
        "case_escalated": case.escalated,
    }
