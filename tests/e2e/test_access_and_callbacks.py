"""In a real browser: a second counsellor outside the case's need to know takes emergency access with a
reason and reads the case; a counsellor agrees a callback for tomorrow 10:30 and finds it in /termine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.calendar.business_calendar import BERLIN
from engine.cases.lifecycle import claim_task, open_case
from engine.kernel.actor import Actor
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import log_in
from tests.steps import task_id_for

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
ANNA = Actor("anna", frozenset({"beratung"}))


def _annas_case(server: LiveServer) -> tuple[int, str]:
    opened = open_case(server.ctx, ANNA, {"kontaktkanal": "telefon"})
    claim_task(server.ctx, ANNA, task_id_for(server.ctx, opened.case_id, "eingang"))
    return opened.case_id, opened.reference


def test_second_counsellor_uses_emergency_access_with_a_reason_and_reads_the_case(
    live_server: LiveServer, new_context
):
    case_id, reference = _annas_case(live_server)
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "ben")
    page.goto(f"/faelle/{case_id}")
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator("#glimpse")).to_contain_text("Anna")
    page.get_by_role("button", name="Notfallzugriff nehmen").click()  # the browser insists on a reason
    expect(page).to_have_url(f"{live_server.url}/faelle/{case_id}")
    expect(page.locator("#outside-need-to-know")).to_be_visible()
    page.locator("#grund").fill("Die Person ruft zurück, Anna ist nicht erreichbar")
    page.get_by_role("button", name="Notfallzugriff nehmen").click()
    expect(page.locator("p.flash.success")).to_contain_text("Notfallzugriff bis")
    expect(page.locator("#case-facts")).to_be_visible()
    expect(page.locator("#open-tasks")).to_contain_text("Eingang erfassen")
    assert watch.page_errors == [] and watch.outside_requests == []


def test_counsellor_agrees_a_callback_for_tomorrow_1030_and_finds_it_in_the_agenda(
    live_server: LiveServer, new_context
):
    case_id, reference = _annas_case(live_server)
    tomorrow = (datetime.now(BERLIN) + timedelta(days=1)).date()
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.goto(f"/faelle/{case_id}")
    page.get_by_text("Rückruf oder Termin vereinbaren").click()
    page.locator("#termin-datum").fill(tomorrow.isoformat())
    page.locator("#termin-uhrzeit").fill("10:30")
    page.locator("#termin-notiz").fill("Rückruf mit Frau M.")
    page.get_by_role("button", name="Vereinbaren").click()
    expect(page.locator("p.flash.success")).to_contain_text("Vereinbart")
    expect(page.locator("#case-appointments")).to_contain_text("10:30")

    page.get_by_role("link", name="Termine").click()
    expect(page).to_have_url(f"{live_server.url}/termine")
    page.get_by_role("link", name="Folgetag »").click()
    expect(page.locator("#agenda-day")).to_contain_text(tomorrow.strftime("%d.%m.%Y"))
    row = page.locator("#day-list tr", has_text=reference)
    expect(row).to_contain_text("10:30")
    expect(row).to_contain_text("Rückruf mit Frau M.")
    assert watch.page_errors == [] and watch.outside_requests == []
