"""Agreed callbacks and appointments: a task in the inbox of the one who agreed it, the agenda, reminders and
the escalation of a missed callback, done and moved."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from engine.calendar.business_calendar import BERLIN
from engine.cases.appointments import (
    AppointmentInvalid,
    agenda,
    agree_appointment,
    complete_appointment,
    reschedule_appointment,
    task_id_of,
)
from engine.cases.discard import discard_case
from engine.cases.lifecycle import open_case
from engine.deadlines.appointment_sweep import sweep_appointments
from engine.store.access_tables import Appointment
from engine.store.tables import AuditEvent, OutboxMessage, Task
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.steps import case_row

TOMORROW = date(2026, 6, 2)  # the test clock stands on Monday 1 June 2026, 10:00 in Berlin
TOMORROW_1030 = datetime.combine(TOMORROW, time(10, 30), BERLIN)


def _agreed(ctx) -> tuple[int, int]:
    case_id = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    return case_id, agree_appointment(
        ctx, COUNSELLOR, case_id, "rueckruf", "telefon", TOMORROW_1030, "Frau M."
    )


def _task(ctx, appointment_id: int) -> Task:
    with ctx.unit_of_work(writes=False) as session:
        return session.get(Task, task_id_of(appointment_id))


def _mails(ctx, kind: str) -> list[OutboxMessage]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_a_callback_for_tomorrow_1030_is_her_task_and_on_tomorrows_agenda(deployed):
    case_id, appointment_id = _agreed(deployed)
    task = _task(deployed, appointment_id)
    assert (task.assignee, task.due_at, task.status, task.case_id) == ("anna", TOMORROW_1030, "open", case_id)
    [entry] = agenda(deployed, COUNSELLOR, TOMORROW, 1)
    assert (entry.id, entry.note, entry.kind, entry.due_at) == (
        appointment_id,
        "Frau M.",
        "rueckruf",
        TOMORROW_1030,
    )
    assert agenda(deployed, COUNSELLOR, TOMORROW + timedelta(days=1), 1) == []
    assert agenda(deployed, OTHER_COUNSELLOR, TOMORROW, 1) == []
    assert [e.id for e in agenda(deployed, TEAM_LEAD, TOMORROW, 1, "team")] == [appointment_id]
    assert [e.id for e in agenda(deployed, COUNSELLOR, date(2026, 6, 1), 7)] == [appointment_id]  # this week
    with deployed.unit_of_work(writes=False) as session:
        stored = session.get(Appointment, appointment_id)
    assert b"Frau M." not in stored.note


def test_it_is_reminded_before_and_escalated_when_missed(deployed, clock):
    case_id, appointment_id = _agreed(deployed)
    assert sweep_appointments(deployed).reminded == []
    clock.set(TOMORROW_1030 - timedelta(minutes=15))
    assert sweep_appointments(deployed).reminded == [appointment_id]
    assert sweep_appointments(deployed).reminded == []  # once
    [reminder] = _mails(deployed, "reminder")
    assert reminder.recipient == "staff:anna"
    clock.set(TOMORROW_1030 + timedelta(minutes=59))
    assert sweep_appointments(deployed).escalated == []
    assert not case_row(deployed, case_id).escalated
    clock.set(TOMORROW_1030 + timedelta(hours=1))
    assert sweep_appointments(deployed).escalated == [appointment_id]
    assert case_row(deployed, case_id).escalated
    [escalation] = _mails(deployed, "escalation")
    assert escalation.recipient == "group:teamleitung"
    assert _task(deployed, appointment_id).priority == 95
    assert sweep_appointments(deployed).escalated == []
    with deployed.unit_of_work(writes=False) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert "reminded" in actions and "escalated" in actions


def test_done_completes_its_task_and_leaves_the_agenda(deployed):
    _case_id, appointment_id = _agreed(deployed)
    complete_appointment(deployed, COUNSELLOR, appointment_id)
    task = _task(deployed, appointment_id)
    assert (task.status, task.completed_by) == ("completed", "anna")
    assert agenda(deployed, COUNSELLOR, TOMORROW, 1) == []
    with pytest.raises(AppointmentInvalid):
        complete_appointment(deployed, COUNSELLOR, appointment_id)


def test_rescheduling_moves_the_task_and_starts_the_reminder_over(deployed, clock):
    _case_id, appointment_id = _agreed(deployed)
    clock.set(TOMORROW_1030 - timedelta(minutes=10))
    sweep_appointments(deployed)
    later = TOMORROW_1030 + timedelta(days=1)
    reschedule_appointment(deployed, COUNSELLOR, appointment_id, later)
    assert _task(deployed, appointment_id).due_at == later
    assert [e.id for e in agenda(deployed, COUNSELLOR, TOMORROW + timedelta(days=1), 1)] == [appointment_id]
    clock.set(later - timedelta(minutes=15))
    assert sweep_appointments(deployed).reminded == [appointment_id]


def test_bad_input_is_refused_at_its_field(deployed):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    for kind, channel, due, field in [
        ("rueckruf", "telefon", None, "due_at"),
        ("rueckruf", "telefon", TOMORROW_1030 - timedelta(days=3), "due_at"),
        ("typename", "telefon", TOMORROW_1030, "kind"),
        ("rueckruf", "brieftaube", TOMORROW_1030, "channel"),
    ]:
        with pytest.raises(AppointmentInvalid) as refused:
            agree_appointment(deployed, COUNSELLOR, case_id, kind, channel, due)
        assert refused.value.field == field
    assert agenda(deployed, COUNSELLOR, TOMORROW, 7) == []


def test_discarding_the_case_cancels_its_appointments(deployed):
    case_id, appointment_id = _agreed(deployed)
    discard_case(deployed, COUNSELLOR, case_id, "Falsch verbunden")
    assert _task(deployed, appointment_id).status == "cancelled"
    assert agenda(deployed, COUNSELLOR, TOMORROW, 1) == []


def test_after_a_submit_the_next_process_step_opens_not_the_callback(deployed):
    from engine.cases.lifecycle import claim_task, submit_task
    from engine.demo.seed import EINGANG
    from tests.steps import open_tasks

    case_id, _appointment_id = _agreed(deployed)
    eingang = open_tasks(deployed, case_id)["eingang"].id
    claim_task(deployed, COUNSELLOR, eingang)
    done = submit_task(deployed, COUNSELLOR, eingang, lambda _form: EINGANG)
    assert done.next_task_id == open_tasks(deployed, case_id)["risikoeinschaetzung"].id


def test_merging_the_case_moves_its_appointment_with_its_task(deployed):
    from engine.person.merge import merge_case

    target = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    duplicate, appointment_id = _agreed(deployed)
    merge_case(deployed, COUNSELLOR, duplicate, str(target))
    [entry] = agenda(deployed, COUNSELLOR, TOMORROW, 1)
    assert (entry.id, entry.case_id, entry.note) == (appointment_id, target, "Frau M.")
    task = _task(deployed, appointment_id)
    assert (task.case_id, task.status, task.case_reference) == (
        target,
        "open",
        case_row(deployed, target).reference,
    )


def test_a_callback_that_falls_into_her_absence_goes_to_her_cover(deployed, clock):
    from dataclasses import replace

    from engine.staff.absence import set_absence
    from engine.staff.accounts import add_staff

    for username in ("anna", "ben"):
        add_staff(deployed, "test", username, username.title(), "ein-gutes-passwort", ["beratung"])
    set_absence(deployed, COUNSELLOR, "anna", "ben", TOMORROW, TOMORROW)
    _case_id, appointment_id = _agreed(deployed)
    task = _task(deployed, appointment_id)
    assert (task.assignee, task.due_at) == ("ben", TOMORROW_1030)  # ben stands in for anna tomorrow
    covering = replace(OTHER_COUNSELLOR, covering=frozenset({"anna"}))
    assert [e.id for e in agenda(deployed, covering, TOMORROW, 1)] == [appointment_id]
    assert agenda(deployed, OTHER_COUNSELLOR, TOMORROW, 1) == []  # only while he covers
    clock.set(TOMORROW_1030 - timedelta(minutes=15))
    assert sweep_appointments(deployed).reminded == [appointment_id]
    [reminder] = _mails(deployed, "reminder")
    assert reminder.recipient == "staff:ben"
