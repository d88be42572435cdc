"""The migration page: process owners run a dry run, pick cases, migrate them and see the result per case."""

from __future__ import annotations

import re

from sqlalchemy import select

from benchmarks.migrate import drive, shipped_models, target_model
from engine.cases.lifecycle import complete_task
from engine.deadlines.due_times import describe_due
from engine.demo.seed import RISIKO_NEUTRAL
from engine.processes.deployment import deploy_process
from engine.store.tables import AuditEvent, Case
from tests.conftest import COUNSELLOR, MONDAY_MORNING
from tests.steps import case_row, open_tasks, task_id_for
from tests.web.conftest import csrf_token

URL = "/prozesse/migration"


def _cases_and_target(ctx):
    """Three cases on version 1 (one of which cannot move), then the edited model as version 2."""
    movable = drive(ctx, "vermittlung", MONDAY_MORNING)
    second = drive(ctx, "risikoeinschaetzung", MONDAY_MORNING)
    refused = drive(ctx, "praevention", MONDAY_MORNING)
    bpmn, dmn = shipped_models()
    target = deploy_process(ctx, "paul", target_model(bpmn), dmn)
    return movable, second, refused, target.version_id


def _versions(ctx) -> dict[int, int]:
    with ctx.unit_of_work(writes=False) as session:
        return dict(session.execute(select(Case.id, Case.process_version_id)).all())


def _chosen(page: str) -> list[str]:
    return re.findall(r'name="faelle" value="([0-9]+:[0-9]+)"', page)


def test_dry_run_lists_movable_and_refused_cases_then_migrates_the_chosen(deployed, client, auth):
    movable, second, refused, target = _cases_and_target(deployed)
    auth.login("paul")
    page = client.get(URL).get_data(as_text=True)
    assert "Ausgangsversion" in page and "3 offene Fälle" in page and "Migration" in page

    page = client.get(URL, query_string={"von": 1, "nach": target}).get_data(as_text=True)

    assert "Können wechseln: 2" in page and "Können nicht wechseln: 1" in page
    assert "sicherheitsgespraech" in page and "praevention" in page  # added and removed elements
    refused_row = page[page.index('id="refused"') :]
    assert case_row(deployed, refused).reference in refused_row
    assert (
        "Der offene Schritt „Präventionsmaterial anbieten (praevention)“ fehlt in der Zielversion."
        in refused_row
    )
    assert "(unverändert)" in page  # the referral keeps its deadline
    chosen = _chosen(page)
    assert {int(value.split(":")[0]) for value in chosen} == {movable, second}

    # nothing moves on the first click: the chosen cases are listed for a confirmation
    asked = client.post(
        URL, data={"csrf_token": csrf_token(page), "von": "1", "nach": str(target), "faelle": chosen}
    )
    confirmation = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "2 Fälle migrieren?" in confirmation
    assert case_row(deployed, movable).reference in confirmation and 'name="bestaetigt"' in confirmation
    assert _versions(deployed)[movable] == 1

    # the second case moves on before the migration: it is reported stale, not overwritten
    complete_task(deployed, COUNSELLOR, task_id_for(deployed, second, "risikoeinschaetzung"), RISIKO_NEUTRAL)
    response = client.post(
        URL,
        data={
            "csrf_token": csrf_token(page),
            "von": "1",
            "nach": str(target),
            "faelle": chosen,
            "bestaetigt": "ja",
        },
    )

    result = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 von 2 Fällen wurden migriert." in result
    assert "Migriert" in result and "seit dem Probelauf geändert" in result
    versions = _versions(deployed)
    assert (versions[movable], versions[second], versions[refused]) == (target, 1, 1)
    with deployed.unit_of_work(writes=False) as session:
        audited = session.execute(
            select(AuditEvent.case_id, AuditEvent.actor).where(AuditEvent.action == "case_migrated")
        ).all()
    assert [tuple(row) for row in audited] == [(movable, "paul")]


def test_bad_choices_are_refused_with_a_message_and_nothing_changes(deployed, client, auth):
    movable, _second, _refused, target = _cases_and_target(deployed)
    auth.login("paul")
    page = client.get(URL, query_string={"von": 1, "nach": target}).get_data(as_text=True)
    token = csrf_token(page)
    before = _versions(deployed)

    same = client.get(URL, query_string={"von": 1, "nach": 1})
    assert same.status_code == 422 and "dieselbe" in same.get_data(as_text=True)
    garbage = client.get(URL, query_string={"von": "eins", "nach": target})
    assert garbage.status_code == 422 and "Ausgangs- und eine Zielversion" in garbage.get_data(as_text=True)
    malformed = client.post(
        URL, data={"csrf_token": token, "von": "1", "nach": str(target), "faelle": [f"{movable}:x"]}
    )
    assert malformed.status_code == 422 and "ungültig" in malformed.get_data(as_text=True)
    nothing = client.post(URL, data={"csrf_token": token, "von": "1", "nach": str(target)})
    assert nothing.status_code == 422 and "mindestens einen Fall" in nothing.get_data(as_text=True)
    unknown = client.post(
        URL, data={"csrf_token": token, "von": "1", "nach": "999", "faelle": [f"{movable}:1"]}
    )
    assert unknown.status_code == 422 and "gibt es nicht" in unknown.get_data(as_text=True)
    without_token = client.post(URL, data={"von": "1", "nach": str(target), "faelle": _chosen(page)})
    assert without_token.status_code == 400
    assert _versions(deployed) == before


def test_english_page_and_messages(deployed, client, auth):
    _movable, _second, _refused, target = _cases_and_target(deployed)
    auth.login("paul")
    token = csrf_token(client.get("/prozesse").get_data(as_text=True))
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    page = client.get(URL, query_string={"von": 1, "nach": target}).get_data(as_text=True)
    assert "Can move: 2" in page and "Cannot move: 1" in page
    assert "The open step “Präventionsmaterial anbieten (praevention)” no longer exists" in page
    same = client.get(URL, query_string={"von": 1, "nach": 1}).get_data(as_text=True)
    assert "Source and target are the same version" in same


def test_only_process_owners_may_migrate(deployed, client, auth):
    movable, _second, _refused, target = _cases_and_target(deployed)
    for username in ("anna", "tara", "ada"):
        auth.login(username)
        assert client.get(URL, query_string={"von": 1, "nach": target}).status_code == 403
        token = csrf_token(client.get("/status").get_data(as_text=True))
        response = client.post(
            URL, data={"csrf_token": token, "von": "1", "nach": str(target), "faelle": [f"{movable}:4"]}
        )
        assert response.status_code == 403
        assert "Migration" not in client.get("/status").get_data(as_text=True).split("</nav>")[0]
        client.post("/logout", data={"csrf_token": token})
    assert _versions(deployed)[movable] == 1


def test_the_dry_run_reads_due_times_by_the_inbox_rule(deployed, client, auth, clock):
    """Working-time deadlines in working time, as the inbox says them (not a bare "heute 23:59")."""
    movable, _second, _refused, target = _cases_and_target(deployed)
    auth.login("paul")
    page = client.get(URL, query_string={"von": 1, "nach": target}).get_data(as_text=True)
    row = page[page.index(f'value="{movable}:') :]
    cell = row[row.index('data-deadline="vermittlung"') :]
    cell = cell[: cell.index("</div>")]
    due_at = next(t.due_at for t in open_tasks(deployed, movable).values() if t.element_id == "vermittlung")
    expected = describe_due(deployed.calendar, due_at, clock.now(), clock_time=False)
    assert expected.german.startswith("fällig in") and "Arbeits" in expected.german
    assert expected.german in cell and "(unverändert)" in cell
