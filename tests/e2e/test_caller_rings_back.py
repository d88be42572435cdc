"""Issue 17's day in one browser run: a caller rings back from a number Lotse knows. The counsellor is told
so during intake, adds the contact to the existing case and agrees a callback for tomorrow 10:30, which she
finds in tomorrow's agenda; a second counsellor searches the reference in the header, is outside the case's
need to know, takes emergency access with a reason and reads the case."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from engine.calendar.business_calendar import BERLIN
from engine.cases.lifecycle import claim_task
from engine.kernel.actor import Actor
from engine.person.intake import IntakeRoutes, open_case_for_person
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import log_in, shoot
from tests.steps import task_id_for

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
ANNA = Actor("anna", frozenset({"beratung"}))


def test_a_caller_rings_back_and_a_colleague_finds_the_case(
    live_server: LiveServer, new_context, artifacts
) -> None:
    known = open_case_for_person(
        live_server.ctx,
        ANNA,
        {"kontaktkanal": "telefon"},
        "vertraulich",
        IntakeRoutes(phone="+49 171 2223334"),
    )
    claim_task(live_server.ctx, ANNA, task_id_for(live_server.ctx, known.case_id, "eingang"))
    tomorrow = (datetime.now(BERLIN) + timedelta(days=1)).date()

    # anna takes the call: the number is known, the contact goes to the existing case
    anna_context, anna_watch = new_context()
    page = anna_context.new_page()
    log_in(page, live_server, "anna")
    page.get_by_role("link", name="Neuer Fall").click()
    page.locator('input[name="modus"][value="vertraulich"]').check()
    page.locator("#intake-phone").fill("0171 2223334")
    hint = page.locator(f'[data-known-case="{known.reference}"]')
    expect(hint).to_contain_text("Diese Person ist schon bekannt")
    hint.locator('input[name="zusammenfassung"]').fill("ruft zurück, neue Nachricht erhalten")
    hint.get_by_role("button", name=re.compile(f"Kontakt zu Fall {known.reference} hinzufügen")).click()
    expect(page).to_have_url(re.compile(rf"/faelle/{known.case_id}#kontakte$"))
    expect(page.locator("#contacts-log")).to_contain_text("ruft zurück, neue Nachricht erhalten")

    # … and agrees a callback for tomorrow 10:30, which stands in tomorrow's agenda
    page.get_by_text("Rückruf oder Termin vereinbaren").click()
    page.locator("#termin-datum").fill(tomorrow.isoformat())
    page.locator("#termin-uhrzeit").fill("10:30")
    page.locator("#termin-notiz").fill("Rückruf zur neuen Nachricht")
    page.get_by_role("button", name="Vereinbaren").click()
    expect(page.locator("#case-appointments")).to_contain_text("10:30")
    page.get_by_role("link", name="Termine").click()
    page.get_by_role("link", name="Folgetag »").click()
    expect(page.locator("#agenda-day")).to_contain_text(tomorrow.strftime("%d.%m.%Y"))
    row = page.locator("#day-list tr", has_text=known.reference)
    expect(row).to_contain_text("10:30")
    shoot(page, artifacts, "rings-back-01-callback-in-tomorrows-agenda")

    # ben searches the reference, sees only that the case exists, takes emergency access and reads it
    ben_context, ben_watch = new_context()
    other = ben_context.new_page()
    log_in(other, live_server, "ben")
    other.locator("#header-search").fill(known.reference)
    other.locator("#header-search").press("Enter")
    other.get_by_role("link", name=known.reference).click()
    expect(other.locator("#glimpse")).to_be_visible()
    expect(other.locator("#contacts-log")).to_have_count(0)
    other.locator("#grund").fill("Die Person ruft erneut an, Anna ist im Gespräch")
    other.get_by_role("button", name="Notfallzugriff nehmen").click()
    expect(other.locator("p.flash.success")).to_contain_text("Notfallzugriff bis")
    expect(other.locator("#case-facts")).to_be_visible()
    expect(other.locator("#contacts-log")).to_contain_text("ruft zurück, neue Nachricht erhalten")
    shoot(other, artifacts, "rings-back-02-colleague-reads-after-emergency-access")
    for watch in (anna_watch, ben_watch):
        assert watch.page_errors == [] and watch.outside_requests == []
