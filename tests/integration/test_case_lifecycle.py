"""A case through the shipped process on SQLite and PostgreSQL: persistence, projection, audit, locking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.cases.lifecycle import claim_task, complete_task, open_case, release_task
from engine.demo.seed import EINGANG as DEMO_EINGANG
from engine.kernel.errors import (
    FormInvalid,
    NotPermitted,
    OutsideNeedToKnow,
    TaskAlreadyCompleted,
    TaskClaimedByOther,
)
from engine.store.tables import AuditEvent, Case, Task
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.steps import case_row, complete, open_tasks, stored_variables, task_id_for

EINGANG = {
    **DEMO_EINGANG,
    "amt": "ratsmitglied",
    "kurzbeschreibung": "Kommentar: 'Wir wissen, wo du wohnst.'",
}


def test_open_case_needs_no_name_and_creates_the_intake_task(deployed, clock):
    opened = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"})
    tasks = open_tasks(deployed, opened.case_id)
    assert list(tasks) == ["eingang"]
    assert tasks["eingang"].candidate_group == "beratung"
    assert tasks["eingang"].due_at == clock.now() + timedelta(hours=2)  # Monday 10:00 + 2 working hours
    row = case_row(deployed, opened.case_id)
    assert row.reference == f"2026-{opened.case_id:05d}" and row.status == "open" and row.lock_version == 1


def test_case_content_is_encrypted_at_rest(deployed):
    opened = open_case(deployed, COUNSELLOR)
    complete(deployed, COUNSELLOR, opened.case_id, "eingang", EINGANG)
    state = case_row(deployed, opened.case_id).state
    assert b"wohnst" not in state and b"kurzbeschreibung" not in state
    assert stored_variables(deployed, opened.case_id)["kurzbeschreibung"].endswith("wohnst.'")


def test_projection_copies_only_declared_codes(deployed):
    opened = open_case(deployed, COUNSELLOR)
    complete(deployed, COUNSELLOR, opened.case_id, "eingang", EINGANG)
    row = case_row(deployed, opened.case_id)
    assert (row.land, row.office_type, row.contact_channel) == ("NW", "ratsmitglied", "telefon")
    assert row.first_contact_at is not None


def test_invalid_form_changes_nothing(deployed):
    opened = open_case(deployed, COUNSELLOR)
    before = case_row(deployed, opened.case_id)
    task_id = task_id_for(deployed, opened.case_id, "eingang")
    with pytest.raises(FormInvalid) as raised:
        complete_task(
            deployed, COUNSELLOR, task_id, {**EINGANG, "land": "XX", "einwilligung_dokumentation": False}
        )
    assert set(raised.value.errors) == {"land", "einwilligung_dokumentation"}
    after = case_row(deployed, opened.case_id)
    assert after.lock_version == before.lock_version and after.state == before.state
    assert list(open_tasks(deployed, opened.case_id)) == ["eingang"]


def test_second_completion_names_who_completed_first(deployed, clock):
    opened = open_case(deployed, COUNSELLOR)
    task_id = task_id_for(deployed, opened.case_id, "eingang")
    complete_task(deployed, COUNSELLOR, task_id, EINGANG)
    with pytest.raises(TaskAlreadyCompleted) as raised:
        complete_task(deployed, OTHER_COUNSELLOR, task_id, EINGANG)
    assert raised.value.facts["by"] == "anna"
    assert "anna" in raised.value.message("de") and "anna" in raised.value.message("en")


def test_claim_release_and_reassignment_rules(deployed):
    opened = open_case(deployed, COUNSELLOR)
    task_id = task_id_for(deployed, opened.case_id, "eingang")
    claim_task(deployed, COUNSELLOR, task_id)
    for action in (claim_task, release_task):  # ben may not see anna's case: not a word about the task
        with pytest.raises(OutsideNeedToKnow):
            action(deployed, OTHER_COUNSELLOR, task_id)
    with pytest.raises(OutsideNeedToKnow):
        complete_task(deployed, OTHER_COUNSELLOR, task_id, EINGANG)
    by_ben = open_case(deployed, OTHER_COUNSELLOR)  # a case ben opened, its Eingang claimed by anna
    bens_task = task_id_for(deployed, by_ben.case_id, "eingang")
    claim_task(deployed, COUNSELLOR, bens_task)
    with pytest.raises(TaskClaimedByOther):
        claim_task(deployed, OTHER_COUNSELLOR, bens_task)
    with pytest.raises(TaskClaimedByOther):
        complete_task(deployed, OTHER_COUNSELLOR, bens_task, EINGANG)
    with pytest.raises(NotPermitted):
        release_task(deployed, OTHER_COUNSELLOR, bens_task)
    release_task(deployed, COUNSELLOR, task_id)
    claim_task(deployed, OTHER_COUNSELLOR, task_id)
    complete_task(deployed, TEAM_LEAD, task_id, EINGANG)  # team leads may step in


def test_audit_trail_holds_actions_not_content(deployed):
    opened = open_case(deployed, COUNSELLOR)
    complete(deployed, COUNSELLOR, opened.case_id, "eingang", EINGANG)
    with deployed.unit_of_work() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == opened.case_id)).all()
    assert [e.action for e in events] == ["case_opened", "task_completed"]
    assert all("wohnst" not in (e.detail or "") for e in events)


def test_completed_task_row_keeps_who_and_when(deployed, clock):
    opened = open_case(deployed, COUNSELLOR)
    task_id = task_id_for(deployed, opened.case_id, "eingang")
    clock.advance(timedelta(minutes=7))
    complete_task(deployed, COUNSELLOR, task_id, EINGANG)
    with deployed.unit_of_work() as session:
        row = session.get(Task, task_id)
        open_count = session.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        case = session.get(Case, opened.case_id)
    assert (row.status, row.completed_by, row.completed_at) == ("completed", "anna", clock.now())
    assert open_count == 1 and case.lock_version == 2


def test_audit_trail_cannot_be_changed_or_deleted(deployed):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    open_case(deployed, COUNSELLOR)
    for statement in (update(AuditEvent).values(actor="someone else"), delete(AuditEvent)):
        with deployed.unit_of_work() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement)
    with deployed.unit_of_work(writes=False) as session:
        assert sorted(session.scalars(select(AuditEvent.actor))) == ["anna", "test"]  # deploy, open
