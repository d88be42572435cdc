"""Callbacks through HTTP: agreed on the case page, in the inbox and on tomorrow's agenda, done from there."""

from __future__ import annotations

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.store.access_tables import Appointment
from tests.conftest import COUNSELLOR
from tests.web.conftest import Auth, csrf_token


def _agree(client, case_id: int, **fields):
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    data = {
        "art": "rueckruf",
        "kanal": "telefon",
        "datum": "2026-06-02",
        "uhrzeit": "10:30",
        "notiz": "Frau M.",
    }
    return client.post(f"/faelle/{case_id}/termine", data={**data, **fields, "csrf_token": token})


def test_a_callback_agreed_for_tomorrow_1030_is_on_tomorrows_agenda_and_in_the_inbox(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    agreed = _agree(client, case_id)
    assert agreed.status_code == 302
    case_page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "02.06.2026 10:30" in case_page and "Frau M." in case_page
    today = client.get("/termine").get_data(as_text=True)
    assert 'id="day-list-empty"' in today and 'id="week-list"' in today  # not today, but this week
    tomorrow = client.get("/termine?tag=2026-06-02").get_data(as_text=True)
    assert 'id="day-list"' in tomorrow and "10:30" in tomorrow and "Frau M." in tomorrow
    assert "Rückruf (Telefon)" in client.get("/").get_data(as_text=True)  # her inbox
    with deployed.unit_of_work(writes=False) as session:
        appointment_id = session.scalar(select(Appointment.id))
    assert (
        client.get(f"/aufgaben/termin-{appointment_id}").headers["Location"] == f"/termine/{appointment_id}"
    )
    token = csrf_token(tomorrow)
    done = client.post(f"/termine/{appointment_id}/erledigt", data={"csrf_token": token})
    assert done.status_code == 302
    assert 'id="day-list-empty"' in client.get("/termine?tag=2026-06-02").get_data(as_text=True)


def test_a_time_in_the_past_is_refused_at_the_field_and_the_input_kept(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    refused = _agree(client, case_id, datum="2026-05-01", notiz="Herr K.")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "in der Vergangenheit" in page and 'aria-invalid="true"' in page and 'value="Herr K."' in page
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalars(select(Appointment)).all() == []


def test_the_team_agenda_shows_colleagues_callbacks(deployed, app, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    _agree(client, case_id)
    lead = app.test_client()
    Auth(lead).login("tara")
    assert "Frau M." not in lead.get("/termine?tag=2026-06-02").get_data(as_text=True)
    team = lead.get("/termine?tag=2026-06-02&wer=team").get_data(as_text=True)
    assert "Frau M." in team and "Anna" in team
