"""The administrators' calendar page: the form, the list of closed days, saving, refusals."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import select

from engine.calendar.settings import current_calendar_settings
from engine.demo.seed import load_demo
from engine.store.tables import AuditEvent
from tests.web.conftest import csrf_token

URL = "/verwaltung/kalender"
FORM = {
    "opens": "09:00",
    "closes": "16:00",
    "weekdays": ["0", "1", "2", "3", "4"],
    "land": "NW",
    "recurring_closures": "24.12.\n31.12.",
    "closures": "",
}


def save(client, **changes):
    token = csrf_token(client.get(URL).get_data(as_text=True))
    return client.post(URL, data={**FORM, **changes, "csrf_token": token})


def test_the_page_shows_the_settings_and_two_years_of_closed_days(client, auth):
    auth.login("ada")
    response = client.get(URL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="opens" name="opens" step="60" value="09:00"' in page and 'value="16:00"' in page
    for day in range(5):
        assert f'name="weekdays" value="{day}" checked' in page
    assert 'name="weekdays" value="5" >' in page or 'value="5" >' in page
    assert '<option value="NW" selected>Nordrhein-Westfalen (NW)</option>' in page
    assert page.count("<option value=") == 16
    assert "24.12.\n31.12.</textarea>" in page
    assert "Noch nicht geändert" in page
    assert 'aria-current="page">Kalender</a>' in page
    # the test clock says 2026: this year and next
    this_year = page[page.index('id="closed-2026"') : page.index('id="closed-2027"')]
    assert "<td>04.06.2026</td><td>Donnerstag</td><td>Fronleichnam</td>" in this_year
    assert '<tr class="closure"><td>24.12.2026</td><td>Donnerstag</td><td>Schließtag</td>' in this_year
    assert "<td>01.11.2026</td><td>Sonntag</td><td>Allerheiligen</td>" in this_year
    assert "<td>01.01.2027</td><td>Freitag</td><td>Neujahr</td>" in page[page.index('id="closed-2027"') :]


def test_saving_stores_the_settings_and_the_calendar_follows(deployed, client, auth):
    auth.login("ada")
    response = save(
        client,
        opens="08:30",
        closes="15:00",
        weekdays=["0", "1", "2", "3"],
        land="BY",
        recurring_closures="24.12.\n31.12.\n22.02.",
        closures="28.12.2026\n2027-01-04",
    )
    assert response.status_code == 302 and response.headers["Location"] == URL
    page = client.get(URL).get_data(as_text=True)
    assert "Kalendereinstellungen gespeichert" in page
    assert "Zuletzt geändert am 01.06.2026 10:00 von Ada" in page
    assert '<option value="BY" selected>Bayern (BY)</option>' in page
    assert "22.02.\n24.12.\n31.12.</textarea>" in page and "2026-12-28\n2027-01-04</textarea>" in page
    assert "<td>06.01.2026</td><td>Dienstag</td><td>Heilige Drei Könige</td>" in page
    assert "<td>28.12.2026</td><td>Montag</td><td>Schließtag</td>" in page
    stored = current_calendar_settings(deployed)
    assert (stored.opens, stored.closes, stored.weekdays) == (time(8, 30), time(15), frozenset({0, 1, 2, 3}))
    assert stored.closures == (date(2026, 12, 28), date(2027, 1, 4)) and stored.revision == 1
    assert deployed.calendar.land == "BY" and not deployed.calendar.is_working_day(date(2026, 6, 5))
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "calendar_changed")) == (
            "opens,closes,weekdays,land,recurring_closures,closures"
        )


def test_saving_without_a_change_says_so(client, auth):
    auth.login("ada")
    assert save(client).status_code == 302
    assert "Keine Änderung" in client.get(URL).get_data(as_text=True)


def test_invalid_input_is_kept_with_messages_at_the_fields_and_nothing_is_stored(deployed, client, auth):
    auth.login("ada")
    response = save(
        client,
        opens="16:00",
        closes="09:00",
        weekdays=["2"],
        land="XX",
        recurring_closures="24.12.\n30.02.",
        closures="2026-12-28\nirgendwann",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Es wurde nichts gespeichert" in page
    for field in ("closes", "land", "recurring_closures", "closures"):
        assert re.search(
            rf'id="{field}" name="{field}"[^>]*aria-invalid="true" aria-describedby="{field}-error"', page
        )
        assert f'<p class="error" id="{field}-error">' in page
    assert 'aria-invalid="true" aria-describedby="opens-error"' not in page
    assert "Die Schließzeit muss nach der Öffnungszeit liegen." in page
    assert "„30.02.“ ist kein gültiger Tag" in page and "„irgendwann“ ist kein gültiges Datum" in page
    assert 'value="16:00"' in page and 'value="09:00"' in page
    assert 'name="weekdays" value="2" checked' in page and 'name="weekdays" value="0" checked' not in page
    assert "24.12.\n30.02.</textarea>" in page and "2026-12-28\nirgendwann</textarea>" in page
    assert current_calendar_settings(deployed).revision == 0 and deployed.calendar.land == "NW"


def test_no_weekday_is_refused_at_the_weekdays(client, auth):
    auth.login("ada")
    response = save(client, weekdays=[])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<fieldset class="choices" aria-invalid="true" aria-describedby="weekdays-error">' in page
    assert "bitte mindestens einen Wochentag wählen" in page


def test_messages_in_english_for_english_users(client, auth):
    auth.login("ada")
    client.post(
        "/sprache",
        data={
            "csrf_token": csrf_token(client.get("/verwaltung/kalender").get_data(as_text=True)),
            "language": "en",
        },
    )
    page = client.get(URL).get_data(as_text=True)
    assert "Calendar" in page and "Corpus Christi" in page and "Closure day" in page
    response = save(client, land="XX")
    assert response.status_code == 422
    assert "is not a known German Land" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["anna", "tara", "paul"])
def test_other_roles_are_refused(deployed, client, auth, username):
    auth.login(username)
    assert client.get(URL).status_code == 403
    token = csrf_token(client.get("/status").get_data(as_text=True))
    assert client.post(URL, data={**FORM, "land": "BY", "csrf_token": token}).status_code == 403
    assert 'href="/verwaltung/kalender"' not in client.get("/status").get_data(as_text=True)
    assert current_calendar_settings(deployed).revision == 0


def test_a_post_without_csrf_token_stores_nothing(deployed, client, auth):
    auth.login("ada")
    response = client.post(URL, data={**FORM, "land": "BY"})
    assert response.status_code == 400 and "Formular abgelaufen" in response.get_data(as_text=True)
    assert current_calendar_settings(deployed).revision == 0


def test_administrators_reach_the_page_with_the_demo_data_loaded(deployed, client, auth):
    load_demo(deployed)
    auth.login("ada")
    assert 'href="/verwaltung/kalender"' in client.get("/verwaltung/kalender").get_data(as_text=True)
    assert client.get(URL).status_code == 200
    assert save(client, closures="2026-06-02").status_code == 302
    assert not deployed.calendar.is_working_day(date(2026, 6, 2))
