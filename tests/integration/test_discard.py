"""Discarding a case opened by mistake: only before any step beyond intake, with a reason, kept in the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.discard import DiscardRefused, discard_case, discardable
from engine.cases.lifecycle import open_case
from engine.demo.seed import EINGANG, RISIKO_NEUTRAL
from engine.store.access_tables import CaseDiscard
from engine.store.tables import AuditEvent
from tests.conftest import COUNSELLOR
from tests.steps import case_row, complete, open_tasks


def test_a_fresh_case_is_discarded_its_tasks_go_and_its_reference_is_not_reused(deployed):
    first = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"})
    assert discardable(deployed, COUNSELLOR, first.case_id).allowed
    discard_case(deployed, COUNSELLOR, first.case_id, "Falsch verbunden")
    row = case_row(deployed, first.case_id)
    assert (row.status, row.next_timer_at, row.reference) == ("discarded", None, first.reference)
    assert open_tasks(deployed, first.case_id) == {}
    with deployed.unit_of_work(writes=False) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "case_discarded")).all()
        stored = session.get(CaseDiscard, first.case_id)
    assert (event.actor, event.case_id) == ("anna", first.case_id)
    assert b"verbunden" not in stored.reason
    second = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"})
    assert second.reference != first.reference


def test_after_intake_it_can_still_be_discarded(deployed):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    discard_case(deployed, COUNSELLOR, case_id, "Doppelt angelegt")
    assert case_row(deployed, case_id).status == "discarded"


def test_discard_is_refused_once_a_later_step_was_completed(deployed):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(deployed, COUNSELLOR, case_id, "risikoeinschaetzung", RISIKO_NEUTRAL)
    assert not discardable(deployed, COUNSELLOR, case_id).allowed
    with pytest.raises(DiscardRefused) as refused:
        discard_case(deployed, COUNSELLOR, case_id, "Doch nicht")
    assert "Risiko einschätzen" in refused.value.message("de")
    assert case_row(deployed, case_id).status == "open"
    assert "risikostufe_bestaetigen" in open_tasks(deployed, case_id)


@pytest.mark.parametrize("reason", ["", "  "])
def test_discard_needs_a_reason(deployed, reason):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    with pytest.raises(DiscardRefused):
        discard_case(deployed, COUNSELLOR, case_id, reason)
    assert case_row(deployed, case_id).status == "open"


def test_a_discarded_case_is_purged_after_the_retention_period_with_its_sealed_reasons(deployed, clock):
    from datetime import timedelta

    from engine.cases.appointments import agree_appointment
    from engine.cases.break_glass import break_glass, list_grants
    from engine.cases.retention import purge_expired_cases
    from engine.store.access_tables import Appointment
    from tests.conftest import OTHER_COUNSELLOR, TEAM_LEAD

    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    agree_appointment(
        deployed, COUNSELLOR, case_id, "rueckruf", "telefon", clock.now() + timedelta(days=1), "Hr. K"
    )
    break_glass(deployed, OTHER_COUNSELLOR, case_id, "Rückruf")
    discard_case(deployed, COUNSELLOR, case_id, "Falsch verbunden")
    clock.advance(timedelta(days=2 * 365 + 31))
    assert purge_expired_cases(deployed).purged == [case_row(deployed, case_id).reference]
    with deployed.unit_of_work(writes=False) as session:
        assert session.get(CaseDiscard, case_id).reason == b""
        assert session.scalars(select(Appointment.note)).all() == [None]
    assert [entry.reason for entry in list_grants(deployed, TEAM_LEAD)] == [""]
