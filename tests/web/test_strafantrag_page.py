"""Strafantrag periods on the case page: recording, unknown offender, bad input, roles, CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.cases.lifecycle import open_case
from engine.store.tables import StrafantragRow
from tests.conftest import COUNSELLOR
from tests.web.conftest import Auth, csrf_token


@pytest.fixture
def case_id(deployed) -> int:
    return open_case(deployed, COUNSELLOR).case_id


def _rows(ctx) -> list[StrafantragRow]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(StrafantragRow).order_by(StrafantragRow.id)))


def _token(client, case_id: int) -> str:
    return csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))


def test_offence_with_known_offender_shows_its_deadline(deployed, client, auth, case_id):
    auth.login()
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Keine Strafantragsfrist erfasst." in page and "Strafantragsfrist erfassen" in page
    response = client.post(
        f"/faelle/{case_id}/strafantrag",
        data={
            "csrf_token": csrf_token(page),
            "delikt": "beleidigung",
            "kenntnis_tat": "2026-03-10",
            "kenntnis_taeter": "2026-03-13",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#strafantrag")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Strafantragsfrist erfasst." in page
    assert "Beleidigung (§ 185 StGB)" in page
    assert "<strong>15.06.2026</strong>" in page  # Saturday 13 June moved to Monday
    assert "verschoben vom 13.06.2026" in page and "noch 14 Tage" in page
    (row,) = _rows(deployed)
    assert row.recorded_by == "anna" and row.reminders_started


def test_unknown_offender_then_known(deployed, client, auth, case_id):
    auth.login()
    client.post(
        f"/faelle/{case_id}/strafantrag",
        data={
            "csrf_token": _token(client, case_id),
            "delikt": "ueble_nachrede",
            "kenntnis_tat": "2026-05-20",
            "taeter_unbekannt": "1",
        },
    )
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Täter unbekannt" in page and "Frist läuft noch nicht" in page
    (row,) = _rows(deployed)
    assert row.deadline is None and not row.reminders_started
    response = client.post(
        f"/faelle/{case_id}/strafantrag/{row.id}/taeter",
        data={"csrf_token": csrf_token(page), "kenntnis_taeter": "2026-05-29"},
    )
    assert response.status_code == 302
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Täter erfasst: Die Strafantragsfrist läuft." in page
    assert "<strong>31.08.2026</strong>" in page  # 29 August is a Saturday
    assert _rows(deployed)[0].reminders_started


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"delikt": "beleidigung", "kenntnis_tat": "2026-05-20"}, "oder kreuzen Sie „Täter unbekannt“ an"),
        (
            {"delikt": "beleidigung", "kenntnis_tat": "20.05.", "taeter_unbekannt": "1"},
            "ist kein gültiges Datum",
        ),
        (
            {"delikt": "raub", "kenntnis_tat": "2026-05-20", "taeter_unbekannt": "1"},
            "Tat, die einen Strafantrag",
        ),
        ({"delikt": "beleidigung", "kenntnis_tat": "2026-07-01", "taeter_unbekannt": "1"}, "in der Zukunft"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_stores_nothing(deployed, client, auth, case_id, data, message):
    auth.login()
    response = client.post(
        f"/faelle/{case_id}/strafantrag", data={"csrf_token": _token(client, case_id), **data}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert f'value="{data["kenntnis_tat"]}"' in page  # nothing typed is lost
    assert '<details class="note" open>' in page
    assert _rows(deployed) == []


def test_english_message_for_english_users(deployed, client, auth, case_id):
    auth.login()
    token = _token(client, case_id)
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    response = client.post(
        f"/faelle/{case_id}/strafantrag",
        data={"csrf_token": token, "delikt": "beleidigung", "kenntnis_tat": "bad", "taeter_unbekannt": "1"},
    )
    assert response.status_code == 422 and "is not a valid date" in response.get_data(as_text=True)


def test_roles_and_csrf(deployed, app, client, auth, case_id):
    auth.login()
    missing = client.post(
        f"/faelle/{case_id}/strafantrag",
        data={"delikt": "beleidigung", "kenntnis_tat": "2026-05-20", "taeter_unbekannt": "1"},
    )
    assert missing.status_code == 400
    owner = app.test_client()
    Auth(owner).login("paul")
    token = csrf_token(owner.get("/prozesse").get_data(as_text=True))
    refused = owner.post(
        f"/faelle/{case_id}/strafantrag",
        data={
            "csrf_token": token,
            "delikt": "beleidigung",
            "kenntnis_tat": "2026-05-20",
            "taeter_unbekannt": "1",
        },
    )
    assert refused.status_code == 403
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).select_from(StrafantragRow)) == 0
