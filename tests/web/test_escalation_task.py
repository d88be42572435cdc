"""Issue 23, item 13: the escalation task names who is responsible for the overdue step and lets the team
lead reassign it from there."""

from __future__ import annotations

from datetime import timedelta

from engine.cases.lifecycle import claim_task, open_case
from engine.deadlines.timer_sweep import sweep_timers
from tests.conftest import COUNSELLOR
from tests.steps import open_tasks
from tests.web.conftest import csrf_token


def _escalated_case(ctx, clock) -> int:
    case_id = open_case(ctx, COUNSELLOR).case_id
    claim_task(ctx, COUNSELLOR, open_tasks(ctx, case_id)["eingang"].id)
    for _ in range(6):  # reminded at the due time, escalated after the escalation gap
        clock.advance(timedelta(hours=12))
        sweep_timers(ctx, now=clock.now())
        if "eskalation_eingang" in open_tasks(ctx, case_id):
            return case_id
    raise AssertionError("the overdue Eingang was never escalated")


def test_the_escalation_task_names_the_responsible_person_and_reassigns(deployed, client, auth, clock):
    case_id = _escalated_case(deployed, clock)
    tasks = open_tasks(deployed, case_id)
    escalation, overdue = tasks["eskalation_eingang"], tasks["eingang"]
    auth.login("tara")
    page = client.get(f"/aufgaben/{escalation.id}").get_data(as_text=True)
    assert 'id="escalated-steps"' in page
    assert "Zuständig: <strong>Anna</strong>" in page
    assert f'action="/aufgaben/{overdue.id}/zuweisen"' in page
    assert '<option value="ben"' in page and '<option value="paul"' not in page  # Beratung only

    response = client.post(
        f"/aufgaben/{overdue.id}/zuweisen",
        data={"csrf_token": csrf_token(page), "assignee": "ben", "zurueck": f"/aufgaben/{escalation.id}"},
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/aufgaben/{escalation.id}"
    assert open_tasks(deployed, case_id)["eingang"].assignee == "ben"
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zuständig: <strong>Ben</strong>" in again and "Aufgabe neu zugewiesen." in again
