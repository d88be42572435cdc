"""Strafantrag periods per offence: the register, the model's day-42 and day-70 reminders, and the
assessment records, under a controllable clock on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.cases.assessments import case_assessments
from engine.store.tables import RiskAssessmentRow
from engine.strafantrag.periods import StrafantragInvalid, case_offences, offender_identified, record_offence
from tests.bpmn.test_fallbearbeitung_paths import (
    ABSCHLUSS,
    _new_incident,
    assess,
    audit_actions,
    berlin,
    estimate,
    start,
    step,
    sweep,
)
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import case_row, complete, open_tasks


def offences(ctx, case_id):
    with ctx.unit_of_work(writes=False) as session:
        return {entry.id: entry for entry in case_offences(session, case_id)}


def reminders(ctx, case_id):
    return sorted(element for element in open_tasks(ctx, case_id) if element.startswith("strafantrag_"))


def test_offence_with_known_offender_is_reminded_on_day_42_and_day_70(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    offence_id = record_offence(
        deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 6, 1), date(2026, 6, 1)
    )
    entry = offences(deployed, case_id)[offence_id]
    # three months from 1 June: Tuesday 1 September
    assert (entry.deadline, entry.moved_from, entry.status, entry.reminders_started) == (
        date(2026, 9, 1),
        None,
        "offen",
        True,
    )
    assert "strafantrag_recorded" in audit_actions(deployed, case_id)

    sweep(deployed, clock, berlin(2026, 7, 13, 7, 59))
    assert reminders(deployed, case_id) == []
    sweep(deployed, clock, berlin(2026, 7, 13, 8, 0))  # day 42, 08:00
    assert reminders(deployed, case_id) == ["strafantrag_erinnerung_42"]

    step(
        deployed,
        clock,
        case_id,
        "strafantrag_erinnerung_42",
        {"strafantrag_stand": "noch_nicht"},
        berlin(2026, 7, 13, 9),
    )
    assert offences(deployed, case_id)[offence_id].status == "offen"
    sweep(deployed, clock, berlin(2026, 8, 10, 8, 0))  # day 70
    assert reminders(deployed, case_id) == ["strafantrag_erinnerung_70"]
    step(
        deployed,
        clock,
        case_id,
        "strafantrag_erinnerung_70",
        {"strafantrag_stand": "gestellt"},
        berlin(2026, 8, 10, 9),
    )
    assert offences(deployed, case_id)[offence_id].status == "gestellt"
    assert reminders(deployed, case_id) == []
    assert "vermittlung" in open_tasks(deployed, case_id)  # the main flow is untouched


def test_filed_at_the_first_reminder_means_no_second(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    offence_id = record_offence(
        deployed, COUNSELLOR, case_id, "verleumdung", date(2026, 5, 30), date(2026, 6, 1)
    )
    sweep(deployed, clock, berlin(2026, 7, 13, 8))
    step(
        deployed,
        clock,
        case_id,
        "strafantrag_erinnerung_42",
        {"strafantrag_stand": "gestellt"},
        berlin(2026, 7, 13, 9),
    )
    sweep(deployed, clock, berlin(2026, 8, 11, 8))
    assert reminders(deployed, case_id) == []
    assert offences(deployed, case_id)[offence_id].status == "gestellt"


def test_two_offences_keep_their_own_periods_and_answers(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    first = record_offence(deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 6, 1), date(2026, 6, 1))
    second = record_offence(deployed, COUNSELLOR, case_id, "ueble_nachrede", date(2026, 6, 1), None)
    unknown = offences(deployed, case_id)[second]
    assert not unknown.running and unknown.deadline is None and not unknown.reminders_started

    clock.set(berlin(2026, 6, 10, 11))
    offender_identified(deployed, COUNSELLOR, case_id, second, date(2026, 6, 10))
    known = offences(deployed, case_id)[second]
    assert known.deadline == date(2026, 9, 10) and known.reminders_started
    assert "strafantrag_offender_known" in audit_actions(deployed, case_id)

    sweep(deployed, clock, berlin(2026, 7, 13, 8))  # day 42 of the first only
    assert reminders(deployed, case_id) == ["strafantrag_erinnerung_42"]
    step(
        deployed,
        clock,
        case_id,
        "strafantrag_erinnerung_42",
        {"strafantrag_stand": "noch_nicht"},
        berlin(2026, 7, 13, 9),
    )
    sweep(deployed, clock, berlin(2026, 7, 22, 8))  # day 42 of the second (10 June + 42)
    assert reminders(deployed, case_id) == ["strafantrag_erinnerung_42"]
    step(
        deployed,
        clock,
        case_id,
        "strafantrag_erinnerung_42",
        {"strafantrag_stand": "verzichtet"},
        berlin(2026, 7, 22, 9),
    )
    states = {key: entry.status for key, entry in offences(deployed, case_id).items()}
    assert states == {first: "offen", second: "verzichtet"}
    sweep(deployed, clock, berlin(2026, 8, 10, 8))  # day 70 of the first; the second was waived
    assert reminders(deployed, case_id) == ["strafantrag_erinnerung_70"]


def test_deadline_on_a_saturday_moves_to_monday_and_late_reminders_come_at_once(deployed, clock):
    case_id = start(deployed, clock)  # Monday 1 June 2026
    assess(deployed, case_id, "MITTEL")
    offence_id = record_offence(
        deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 3, 10), date(2026, 3, 13)
    )
    entry = offences(deployed, case_id)[offence_id]
    assert (entry.moved_from, entry.deadline) == (date(2026, 6, 13), date(2026, 6, 15))  # Saturday -> Monday
    sweep(deployed, clock, berlin(2026, 6, 1, 10, 1))  # days 42 and 70 have passed already
    assert reminders(deployed, case_id) == ["strafantrag_erinnerung_42"]


def test_deadline_on_easter_monday_moves_to_tuesday_and_a_past_period_is_not_reminded(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    offence_id = record_offence(
        deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 1, 6), date(2026, 1, 6)
    )
    entry = offences(deployed, case_id)[offence_id]
    assert (entry.moved_from, entry.deadline) == (date(2026, 4, 6), date(2026, 4, 7))
    assert not entry.reminders_started  # the period ended before it was recorded
    sweep(deployed, clock, berlin(2026, 6, 2, 10))
    assert reminders(deployed, case_id) == []


@pytest.mark.parametrize(
    ("offence", "learned", "offender", "fragment"),
    [
        ("bedrohung", date(2026, 5, 1), None, "Strafantrag"),
        ("beleidigung", None, None, "erfahren"),
        ("beleidigung", date(2026, 6, 2), None, "Zukunft"),
        ("beleidigung", date(2026, 5, 1), date(2026, 6, 5), "Zukunft"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(deployed, clock, offence, learned, offender, fragment):
    case_id = start(deployed, clock)
    with pytest.raises(StrafantragInvalid) as refused:
        record_offence(deployed, COUNSELLOR, case_id, offence, learned, offender)
    assert fragment in refused.value.message("de") and refused.value.message("en")
    assert offences(deployed, case_id) == {}


def test_offender_cannot_be_recorded_twice(deployed, clock):
    case_id = start(deployed, clock)
    offence_id = record_offence(
        deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 5, 20), date(2026, 5, 21)
    )
    with pytest.raises(StrafantragInvalid) as refused:
        offender_identified(deployed, COUNSELLOR, case_id, offence_id, date(2026, 5, 22))
    assert "schon erfasst" in refused.value.message("de")
    assert offences(deployed, case_id)[offence_id].learned_of_offender == date(2026, 5, 21)


def test_a_closed_case_takes_no_new_period(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "INFO")
    step(
        deployed,
        clock,
        case_id,
        "praevention",
        {"material": ["auskunftssperre_info"]},
        berlin(2026, 6, 1, 11),
    )
    if "abschluss" in open_tasks(deployed, case_id):
        step(deployed, clock, case_id, "abschluss", ABSCHLUSS, berlin(2026, 6, 1, 12))
    with pytest.raises(StrafantragInvalid) as refused:
        record_offence(deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 5, 20), None)
    assert "abgeschlossen" in refused.value.message("de") and "closed" in refused.value.message("en")
    assert offences(deployed, case_id) == {}


def test_a_running_period_keeps_the_case_open_after_abschluss(deployed, clock):
    """Closing the counselling does not silence a legal deadline: the reminders still come."""
    case_id = start(deployed, clock)
    assess(deployed, case_id, "INFO")
    record_offence(deployed, COUNSELLOR, case_id, "beleidigung", date(2026, 6, 1), date(2026, 6, 1))
    step(
        deployed,
        clock,
        case_id,
        "praevention",
        {"material": ["auskunftssperre_info"]},
        berlin(2026, 6, 1, 11),
    )
    if "abschluss" in open_tasks(deployed, case_id):
        step(deployed, clock, case_id, "abschluss", ABSCHLUSS, berlin(2026, 6, 1, 12))
    assert case_row(deployed, case_id).status == "open"
    sweep(deployed, clock, berlin(2026, 7, 13, 8))
    step(
        deployed,
        clock,
        case_id,
        "strafantrag_erinnerung_42",
        {"strafantrag_stand": "gestellt"},
        berlin(2026, 7, 13, 9),
    )
    assert case_row(deployed, case_id).status == "closed"


def test_assessments_are_recorded_with_override_reason_sealed(deployed, clock):
    case_id = start(deployed, clock)
    estimate(deployed, case_id, {"nachstellung": True})  # the table proposes MITTEL
    reason = "Person schildert Fixierung des Absenders"
    complete(
        deployed,
        OTHER_COUNSELLOR,
        case_id,
        "risikostufe_bestaetigen",
        {"risikostufe": "HOCH", "abweichung_begruendung": reason},
    )
    _new_incident(deployed, clock, case_id, "AKUT", berlin(2026, 6, 1, 15))
    with deployed.unit_of_work(writes=False) as session:
        found = case_assessments(deployed, session, case_id)
        raw = session.scalars(select(RiskAssessmentRow.sealed)).all()
    newest, first = found
    assert (first.proposal, first.result, first.overridden, first.reason, first.by) == (
        "MITTEL",
        "HOCH",
        True,
        reason,
        OTHER_COUNSELLOR.username,
    )
    assert not first.incident and newest.incident and newest.result == "AKUT"
    answers = {answer.field.id: answer.value for answer in first.inputs}
    assert answers["nachstellung"] is True and "vorfall_beschreibung" not in {
        a.field.id for a in newest.inputs
    }
    assert all(reason.encode() not in blob for blob in raw)  # content is sealed at rest
