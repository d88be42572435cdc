"""Break-glass and discarding through HTTP: the glimpse, the reason at the field, the team leads' list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG, RISIKO_NEUTRAL
from engine.store.tables import OutboxMessage
from tests.conftest import COUNSELLOR
from tests.steps import case_row, complete, task_id_for
from tests.web.conftest import Auth, csrf_token


def _annas_case(deployed) -> int:
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, case_id, "eingang"))
    return case_id


def test_outside_need_to_know_the_case_page_shows_the_glimpse_and_break_glass(deployed, app, clock):
    case_id = _annas_case(deployed)
    ben = app.test_client()
    Auth(ben).login("ben")
    refused = ben.get(f"/faelle/{case_id}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert case_row(deployed, case_id).reference in page and "Anna" in page
    assert "Notfallzugriff" in page and "Zuständige fragen" in page
    token = csrf_token(page)

    empty = ben.post(f"/faelle/{case_id}/notfallzugriff", data={"csrf_token": token, "grund": "   "})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert "Bitte geben Sie einen Grund" in empty.get_data(as_text=True)
    assert ben.get(f"/faelle/{case_id}").status_code == 403

    granted = ben.post(
        f"/faelle/{case_id}/notfallzugriff", data={"csrf_token": token, "grund": "Person ruft zurück"}
    )
    assert granted.status_code == 302 and granted.headers["Location"] == f"/faelle/{case_id}"
    opened = ben.get(f"/faelle/{case_id}")
    assert opened.status_code == 200 and "Notfallzugriff bis" in opened.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(OutboxMessage.recipient).where(OutboxMessage.kind == "break_glass")) == (
            "group:teamleitung"
        )
    clock.advance(timedelta(hours=8, seconds=1))
    Auth(ben).login("ben")  # the idle session ended long before
    assert ben.get(f"/faelle/{case_id}").status_code == 403


def test_the_list_of_emergency_accesses_is_for_team_leads_only(deployed, app):
    case_id = _annas_case(deployed)
    ben = app.test_client()
    Auth(ben).login("ben")
    token = csrf_token(ben.get(f"/faelle/{case_id}").get_data(as_text=True))
    ben.post(f"/faelle/{case_id}/notfallzugriff", data={"csrf_token": token, "grund": "Rückruf am Abend"})
    assert ben.get("/verwaltung/notfallzugriffe").status_code == 403
    lead = app.test_client()
    Auth(lead).login("tara")
    listing = lead.get("/verwaltung/notfallzugriffe").get_data(as_text=True)
    assert "Rückruf am Abend" in listing and "Ben" in listing
    assert case_row(deployed, case_id).reference in listing


def test_asking_for_access_sends_a_mail(deployed, app):
    case_id = _annas_case(deployed)
    ben = app.test_client()
    Auth(ben).login("ben")
    token = csrf_token(ben.get(f"/faelle/{case_id}").get_data(as_text=True))
    asked = ben.post(f"/faelle/{case_id}/zugang/anfragen", data={"csrf_token": token})
    assert asked.status_code == 302
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(
            select(OutboxMessage.recipient).where(OutboxMessage.kind == "access_request")
        ) == ("staff:anna")


def test_discard_with_confirmation_and_reason(deployed, client, auth):
    case_id = _annas_case(deployed)
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Fall verwerfen" in page
    confirm = client.get(f"/faelle/{case_id}/verwerfen").get_data(as_text=True)
    assert "Endgültig verwerfen" in confirm
    token = csrf_token(confirm)
    empty = client.post(f"/faelle/{case_id}/verwerfen", data={"csrf_token": token, "grund": ""})
    assert empty.status_code == 422 and case_row(deployed, case_id).status == "open"
    done = client.post(
        f"/faelle/{case_id}/verwerfen", data={"csrf_token": token, "grund": "Falsch verbunden"}
    )
    assert done.status_code == 302
    assert case_row(deployed, case_id).status == "discarded"
    reference = case_row(deployed, case_id).reference
    assert f"Fall {reference} verworfen." in client.get(done.headers["Location"]).get_data(as_text=True)
    assert reference not in client.get("/").get_data(as_text=True)  # gone from the inbox
    assert "verworfen" in client.get(f"/faelle/{case_id}").get_data(as_text=True)


def test_discard_is_refused_with_a_clear_message_after_a_later_step(deployed, client, auth):
    case_id = _annas_case(deployed)
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(deployed, COUNSELLOR, case_id, "risikoeinschaetzung", RISIKO_NEUTRAL)
    auth.login("anna")
    confirm = client.get(f"/faelle/{case_id}/verwerfen").get_data(as_text=True)
    assert "kann nicht mehr verworfen werden" in confirm and "Endgültig verwerfen" not in confirm
    token = csrf_token(client.get("/").get_data(as_text=True))
    refused = client.post(f"/faelle/{case_id}/verwerfen", data={"csrf_token": token, "grund": "Doch nicht"})
    assert refused.status_code == 422
    assert "Risiko einschätzen" in refused.get_data(as_text=True)
    assert case_row(deployed, case_id).status == "open"
