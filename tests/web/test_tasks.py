"""The task page: generated form, validation at the field, stale tabs, double submits, claims."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.store.tables import Task
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import case_row, complete, open_tasks, stored_variables, task_id_for
from tests.web.conftest import csrf_token, submit_task


def _case_at_eingang(ctx):
    opened = open_case(ctx, COUNSELLOR)
    return opened.case_id, task_id_for(ctx, opened.case_id, "eingang")


def test_task_page_renders_every_field_type_of_the_model(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    page = client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert "Eingang erfassen" in page
    assert '<select id="f-kontaktkanal" name="kontaktkanal"' in page  # enum
    assert 'type="checkbox" name="vorfallarten" value="bedrohung"' in page  # multi-select enum
    assert 'type="checkbox" id="f-einwilligung_dokumentation"' in page  # boolean
    assert '<input type="text" id="f-kurzbeschreibung"' in page or '<textarea id="f-kurzbeschreibung"' in page
    assert 'id="f-anonym"' not in page, "anonym or vertraulich is chosen once, on the Neuer Fall page"
    assert f'href="/faelle/{case_id}"' in page  # the case beside the form


def test_number_and_date_fields_render_with_their_types(deployed, client, auth):
    case_id, _task_id = _case_at_eingang(deployed)
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    auth.login()
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'risikoeinschaetzung')}").get_data(
        as_text=True
    )
    assert 'type="number" step="1" id="f-angst_selbsteinschaetzung"' in page
    assert "Risiko einschätzen" in page
    assert "Drohende Kommentare" in page  # earlier answers shown as context
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["AKUT"]}
    )
    complete(deployed, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": "AKUT"})
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'akut_notruf')}").get_data(as_text=True)
    assert 'type="date"' in page


def test_invalid_input_is_reported_at_the_field_and_kept(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    typed = {
        **EINGANG,
        "land": "XX",
        "kurzbeschreibung": "Was ich schon getippt habe",
        "einwilligung_dokumentation": False,
    }
    response = submit_task(client, task_id, typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte prüfen Sie die markierten Felder." in page
    land = page[page.index('data-field="land"') :]
    assert "Bitte einen der angebotenen Werte wählen." in land[: land.index("</div>")]
    consent = page[page.index('data-field="einwilligung_dokumentation"') :]
    assert "Dieses Feld ist ein Pflichtfeld." in consent[: consent.index("</div>")]
    assert "Was ich schon getippt habe" in page
    assert re.search(r'value="bedrohung" checked', page)
    assert 'aria-invalid="true"' in page
    assert task_id_for(deployed, case_id, "eingang") == task_id  # nothing changed
    assert "kurzbeschreibung" not in stored_variables(deployed, case_id)


def test_fields_not_in_the_form_are_ignored(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    response = submit_task(
        client, task_id, {**EINGANG, "risikostufe": "INFO", "_lotse": "x", "typename": "y"}
    )
    assert response.status_code == 302
    variables = stored_variables(deployed, case_id)
    assert "risikostufe" not in variables and "_lotse" not in variables
    assert variables["land"] == "NW"


def test_submit_completes_and_leads_to_the_next_step_of_the_case(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    response = submit_task(client, task_id, EINGANG)
    next_id = task_id_for(deployed, case_id, "risikoeinschaetzung")
    assert response.status_code == 302 and response.headers["Location"] == f"/aufgaben/{next_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "„Eingang erfassen“ ist erledigt." in page
    with deployed.unit_of_work(writes=False) as session:
        row = session.get(Task, task_id)
    assert (row.status, row.completed_by) == ("completed", "anna")


def test_a_submit_is_one_transaction_after_the_signed_in_person(deployed, client, auth):
    """Evaluate, then write: one read (task, case, form), the engine step outside any transaction, then
    one short write that stores the step and finds the next task."""
    _case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    deployed.calendar_follower.interval = 3600  # its periodic look at the settings is not the submit's work
    checkouts = []
    listener = lambda *_args: checkouts.append(1)  # noqa: E731
    event.listen(deployed.db.pool, "checkout", listener)
    try:
        response = client.post(f"/aufgaben/{task_id}", data={**EINGANG, "csrf_token": token})
    finally:
        event.remove(deployed.db.pool, "checkout", listener)
    assert response.status_code == 302 and response.headers["Location"].startswith("/aufgaben/")
    assert len(checkouts) == 3  # the user loader's read, the submit's read, then its one write


def test_hoch_flow_ends_with_vermittlung_in_the_inbox(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    submit_task(client, task_id, EINGANG)
    risk = {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    submit_task(client, task_id_for(deployed, case_id, "risikoeinschaetzung"), risk)
    confirm = task_id_for(deployed, case_id, "risikostufe_bestaetigen")
    page = client.get(f"/aufgaben/{confirm}").get_data(as_text=True)
    assert re.search(r'<option value="HOCH" selected>', page), "the proposal is preselected"
    response = submit_task(client, confirm, {"risikostufe": "HOCH"})
    vermittlung = task_id_for(deployed, case_id, "vermittlung")
    assert response.headers["Location"] == f"/aufgaben/{vermittlung}"
    inbox = client.get("/?tab=groups").get_data(as_text=True)
    row = inbox[inbox.index(f'data-task="{vermittlung}"') :]
    row = row[: row.index("</tr>")]
    assert "Vermitteln (Lotsenfunktion)" in row and "HOCH" in row
    assert re.search(r'class="due (ok|soon)"[^>]*>fällig in \d+ (Arbeitsstd\.|Min\.|Arbeitstag)', row)
    assert case_row(deployed, case_id).risk_level == "HOCH"


def test_someone_else_completed_the_task_meanwhile(deployed, client, auth, second_client):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    token = csrf_token(second_client.get(f"/aufgaben/{task_id}").get_data(as_text=True))  # ben opens the tab
    assert submit_task(client, task_id, EINGANG).status_code == 302  # anna completes first
    typed = {**EINGANG, "kurzbeschreibung": "Bens Notizen zum Anruf"}
    response = submit_task(second_client, task_id, typed, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Diese Aufgabe wurde bereits von Anna am 01.06.2026 10:00 erledigt." in page
    assert "Bens Notizen zum Anruf" in page  # nothing typed is silently lost
    assert stored_variables(deployed, case_id)["kurzbeschreibung"] == EINGANG["kurzbeschreibung"]
    saved = second_client.post(
        f"/aufgaben/{task_id}/eingaben-als-notiz",
        data={"csrf_token": token, "case_id": str(case_id), "Kurzbeschreibung": "Bens Notizen zum Anruf"},
    )
    assert saved.status_code == 302
    case_page = second_client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Bens Notizen zum Anruf" in case_page


def test_stale_tab_after_the_case_moved_on_says_so(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    auth.login()
    response = client.get(f"/aufgaben/{task_id}")
    assert response.status_code == 409
    assert "bereits von Anna am" in response.get_data(as_text=True)


def test_double_submit_is_ignored_with_a_note(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    assert submit_task(client, task_id, EINGANG, token).status_code == 302
    again = submit_task(client, task_id, EINGANG, token)
    assert again.status_code == 302 and again.headers["Location"] == "/"
    assert "doppelte Absenden wurde ignoriert" in client.get("/").get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        completed = session.scalars(
            select(Task).where(Task.case_id == case_id, Task.element_id == "eingang")
        ).all()
    assert [row.status for row in completed] == ["completed"]


def test_task_claimed_by_someone_else_cannot_be_completed(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    claim_task(deployed, OTHER_COUNSELLOR, task_id)
    auth.login()
    page = client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert "Diese Aufgabe hat Ben übernommen." in page
    response = submit_task(client, task_id, {**EINGANG, "kurzbeschreibung": "meins"})
    assert response.status_code == 409
    assert "bereits ben übernommen" in response.get_data(as_text=True)
    assert "meins" in response.get_data(as_text=True)
    assert "eingang" in open_tasks(deployed, case_id)


def test_unknown_task_is_404_and_missing_csrf_is_refused(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    assert client.get("/aufgaben/00000000-0000-0000-0000-000000000000").status_code == 404
    response = client.post(f"/aufgaben/{task_id}", data={"land": "NW"})
    assert response.status_code == 400
    assert "Formular abgelaufen" in response.get_data(as_text=True)
    assert task_id_for(deployed, case_id, "eingang") == task_id


def test_roles_without_the_candidate_group_cannot_open_or_complete(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login("paul")  # Prozessverantwortung: not a counsellor, no need to know
    assert client.get(f"/aufgaben/{task_id}").status_code == 403
    token = csrf_token(client.get("/prozesse").get_data(as_text=True))
    assert (
        client.post(f"/aufgaben/{task_id}", data={"csrf_token": token, **{"land": "NW"}}).status_code == 403
    )
    assert task_id_for(deployed, case_id, "eingang") == task_id


def test_a_second_tab_with_other_values_shows_them_back_with_the_note_offer(deployed, client, auth):
    case_id, task_id = _case_at_eingang(deployed)
    auth.login()
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))  # two tabs, one form
    assert submit_task(client, task_id, EINGANG, token).status_code == 302
    typed = {**EINGANG, "kurzbeschreibung": "Im zweiten Fenster ergänzt"}
    response = submit_task(client, task_id, typed, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Sie haben diese Aufgabe bereits erledigt (etwa in einem anderen Fenster)" in page
    assert "ignoriert" not in page and "Im zweiten Fenster ergänzt" in page
    assert stored_variables(deployed, case_id)["kurzbeschreibung"] == EINGANG["kurzbeschreibung"]
    saved = client.post(
        f"/aufgaben/{task_id}/eingaben-als-notiz",
        data={"csrf_token": token, "case_id": str(case_id), "Kurzbeschreibung": "Im zweiten Fenster ergänzt"},
    )
    assert saved.status_code == 302
    assert "Im zweiten Fenster ergänzt" in client.get(saved.headers["Location"]).get_data(as_text=True)
    again = submit_task(client, task_id, EINGANG, token)  # the same values once more: still ignored
    assert again.status_code == 302 and again.headers["Location"] == "/"
