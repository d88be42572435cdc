"""Numbers from requests are read strictly: unicode digits, superscripts and thousands of digits are a 400,
a field error, a 404 or ignored, never a 500."""

from __future__ import annotations

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG
from tests.conftest import COUNSELLOR
from tests.steps import complete, open_tasks, stored_variables, task_id_for
from tests.web.conftest import csrf_token, submit_task
from tests.web.test_admin_calendar import FORM, URL


def test_a_page_number_in_superscript_is_the_first_page(deployed, client, auth):
    auth.login("anna")
    for page in ("⁶", "٣", "9" * 5000, "-1"):
        response = client.get("/", query_string={"page": page})
        assert response.status_code == 200, page


def test_a_weekday_of_five_thousand_digits_is_a_field_error(deployed, client, auth):
    auth.login("ada")
    token = csrf_token(client.get(URL).get_data(as_text=True))
    for weekday in ("9" * 5000, "⁶", "٣"):
        response = client.post(URL, data={**FORM, "weekdays": ["0", weekday], "csrf_token": token})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, weekday
        assert "Öffnungstage: unbekannter Wochentag." in page


def test_ids_in_urls_are_ascii_digits_of_bounded_length(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login("anna")
    assert client.get(f"/faelle/{case_id}").status_code == 200
    for written in ("٣", "⁶", "9" * 30, str(2**31), "9" * 5000):
        assert client.get(f"/faelle/{written}").status_code == 404, written
        assert client.get(f"/verzeichnis/{written}").status_code == 404, written


def test_a_long_field_in_foreign_digits_or_huge_is_a_field_error(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, case_id, "eingang"))
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    task_id = open_tasks(deployed, case_id)["risikoeinschaetzung"].id
    auth.login("anna")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    for count in ("٣", "⁶", "9" * 5000, "9" * 30):
        response = submit_task(client, task_id, {"warnverhalten_anzahl": count}, token)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, count
        field = page[page.index('data-field="warnverhalten_anzahl"') :]
        assert "Bitte eine ganze Zahl eingeben." in field[: field.index("</div>")]
    assert "warnverhalten_anzahl" not in stored_variables(deployed, case_id)


def test_keeping_input_as_a_note_needs_a_plain_case_number(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    task_id = task_id_for(deployed, case_id, "eingang")
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    for written in ("⁶", "9" * 5000):
        data = {"csrf_token": token, "case_id": written, "Notiz": "x"}
        assert client.post(f"/aufgaben/{task_id}/eingaben-als-notiz", data=data).status_code == 400


def test_a_contact_duration_in_superscript_or_huge_stays_at_its_field(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login("anna")
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    form = {"kanal": "anruf", "richtung": "eingehend", "zusammenfassung": "Rückfrage", "csrf_token": token}
    for minutes in ("⁶", "٣", "9" * 5000):
        refused = client.post(f"/faelle/{case_id}/kontakte", data={**form, "dauer": minutes})
        assert refused.status_code == 422 and 'id="dauer-error"' in refused.get_data(as_text=True), minutes
    logged = client.post(
        f"/faelle/neu/zu-fall/{case_id}",
        data={**form, "dauer": "⁶"},
    )
    assert logged.status_code == 302  # the intake's "log on the known case": the refusal is flashed
