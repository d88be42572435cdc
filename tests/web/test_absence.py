"""Absence and cover: during the absence new assignments, reminders and the digest go to the cover, the
cover's inbox shows the absent person's tasks ("vertreten für …") and need to know extends to the cover;
after the last day all of it ends on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.cases.lifecycle import claim_task, open_case, reassign_task, release_task
from engine.deadlines.digest import queue_digests
from engine.kernel.errors import NotPermitted
from engine.staff.absence import set_absence
from engine.store.tables import AuditEvent, OutboxMessage, Staff, Task
from tests.bpmn.test_fallbearbeitung_paths import assess, berlin, outbox, start, sweep
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.steps import open_tasks
from tests.web.conftest import Auth, csrf_token

PAGE = "/konto/abwesenheit"


def _task(ctx, case_id: int) -> str:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Task.id).where(Task.case_id == case_id, Task.status == "open"))


def _assignee(ctx, task_id: str) -> str | None:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Task.assignee).where(Task.id == task_id))


@pytest.fixture
def annas_case(deployed) -> tuple[int, str]:
    case = open_case(deployed, COUNSELLOR)
    task_id = _task(deployed, case.case_id)
    claim_task(deployed, COUNSELLOR, task_id)
    return case.case_id, task_id


def _set_in_browser(client, first: str, last: str, cover: str):
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    return client.post(PAGE, data={"first_day": first, "last_day": last, "cover": cover, "csrf_token": token})


def test_the_cover_sees_and_gets_the_work_during_the_absence_only(app, deployed, clock, annas_case):
    case_id, task_id = annas_case
    ben = app.test_client()
    Auth(ben).login("ben")
    assert ben.get(f"/faelle/{case_id}").status_code == 403  # not his case
    anna = app.test_client()
    Auth(anna).login("anna")
    today = clock.now().date()
    assert (
        _set_in_browser(anna, today.isoformat(), (today + timedelta(days=1)).isoformat(), "ben").status_code
        == 302
    )

    assert ben.get(f"/faelle/{case_id}").status_code == 200  # need to know goes with the cover
    inbox = ben.get("/").get_data(as_text=True)
    assert "vertreten für Anna" in inbox and f"/aufgaben/{task_id}" in inbox
    release_task(deployed, TEAM_LEAD, task_id)
    reassign_task(deployed, TEAM_LEAD, task_id, "anna")
    assert _assignee(deployed, task_id) == "ben"  # a new assignment goes to the cover
    with deployed.unit_of_work(writes=False) as session:
        details = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "absence_set")).all()
    assert details == [f"anna → ben, {today}–{today + timedelta(days=1)}; need to know extends"]

    reassign_task(deployed, TEAM_LEAD, task_id, None)
    claim_task(deployed, COUNSELLOR, task_id)
    clock.advance(timedelta(days=2))  # the absence is over
    Auth(ben).login("ben")  # (his session ran out meanwhile)
    assert ben.get(f"/faelle/{case_id}").status_code == 403
    assert "vertreten für" not in ben.get("/").get_data(as_text=True)
    reassign_task(deployed, TEAM_LEAD, task_id, "anna")
    assert _assignee(deployed, task_id) == "anna"


@pytest.mark.usefixtures("annas_case")
def test_the_digest_of_the_cover_lists_the_absent_persons_tasks(deployed, app, clock):
    with deployed.unit_of_work() as session:
        session.execute(update(Staff).values(email=Staff.username + "@example.org"))
        session.commit()
    set_absence(deployed, COUNSELLOR, "anna", "ben", clock.now().date(), clock.now().date())
    with deployed.unit_of_work() as session:  # nothing unassigned for ben's group: only anna's task counts
        session.execute(update(Task).where(Task.assignee.is_(None)).values(candidate_group="teamleitung"))
        session.commit()
    queue_digests(deployed, clock.now() + timedelta(hours=1))
    with deployed.unit_of_work(writes=False) as session:
        recipients = session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.kind == "digest")
        ).all()
    assert "staff:ben" in recipients


def test_only_the_person_or_a_team_lead_records_an_absence(app, deployed, clock):
    with pytest.raises(NotPermitted):
        set_absence(deployed, OTHER_COUNSELLOR, "anna", "ben", clock.now().date(), clock.now().date())
    set_absence(deployed, TEAM_LEAD, "anna", "ben", clock.now().date(), clock.now().date())


def test_a_missing_cover_or_date_is_named_at_its_field(client, auth, clock):
    auth.login("anna")
    refused = _set_in_browser(client, "", clock.now().date().isoformat(), "")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert (
        'id="first_day-error"' in page
        and 'id="cover-error"' in page
        and "Bitte wählen Sie eine Vertretung" in page
    )
    past = _set_in_browser(client, "2020-01-01", "2020-01-02", "ben")
    assert past.status_code == 422 and "Vergangenheit" in past.get_data(as_text=True)


@pytest.mark.parametrize("away", [False, True])
def test_a_reminder_reaches_the_cover_while_the_assignee_is_away(app, deployed, clock, away):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "HOCH")
    vermittlung = open_tasks(deployed, case_id)["vermittlung"].id
    claim_task(deployed, COUNSELLOR, vermittlung)
    overdue = berlin(2026, 6, 2, 16, 1)
    if away:
        set_absence(deployed, COUNSELLOR, "anna", "ben", overdue.date(), overdue.date())
    assert sweep(deployed, clock, overdue).fired == 1
    reminders = [m.recipient for m in outbox(deployed, case_id) if m.kind == "reminder"]
    assert reminders == (["staff:ben"] if away else ["staff:anna"])
