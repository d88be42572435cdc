"""In a real browser: a person writes through /kontakt anonymously, a counsellor opens a case from it and
answers on the case page, the person reads the answer in /kontakt/postfach and replies."""

from __future__ import annotations

import pytest

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import log_in

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
PASSPHRASE = "Lindenbaum am Brunnen"


def test_person_writes_anonymously_counsellor_answers_person_reads_and_replies(
    live_server: LiveServer, new_context
):
    person_context, person_watch = new_context()
    person = person_context.new_page()
    person.goto("/kontakt")
    assert person_context.cookies() == []  # nothing stored before the person sends
    person.locator("#text").fill("Am Rathaus hing ein Zettel mit meiner Adresse und einer Drohung.")
    person.locator("#passphrase").fill(PASSPHRASE)
    person.locator("#passphrase2").fill(PASSPHRASE)
    person.get_by_role("button", name="Absenden").click()
    code = person.locator("#fallcode").inner_text().strip()
    assert len(code.replace("-", "")) == 32

    staff_context, staff_watch = new_context()
    staff = staff_context.new_page()
    log_in(staff, live_server, "anna")
    staff.get_by_role("link", name="Posteingang").click()
    staff.get_by_role("link", name="Kontaktformular").first.click()
    expect(staff.locator(".message-body")).to_contain_text("Zettel mit meiner Adresse")
    staff.get_by_role("button", name="Fall eröffnen").click()
    expect(staff.locator("p.flash.success")).to_contain_text("eröffnet")
    staff.locator("#antwort").fill("Das tut uns leid. Wir raten zu einer Anzeige; rufen Sie uns an?")
    staff.get_by_role("button", name="Antwort senden").click()
    expect(staff.locator("#conversation")).to_contain_text("im Postfach bereitgestellt")

    person.goto("/kontakt/postfach")
    person.locator("#code").fill(code)
    person.locator("#passphrase").fill(PASSPHRASE)
    person.get_by_role("button", name="Postfach öffnen").click()
    expect(person.locator("#postfach")).to_contain_text("Wir raten zu einer Anzeige")
    person.locator("#passphrase").fill(PASSPHRASE)
    person.locator("#text").fill("Ja, morgen um zehn.")
    person.get_by_role("button", name="Senden und Postfach öffnen").click()
    expect(person.locator("#postfach")).to_contain_text("Ja, morgen um zehn.")

    staff.reload()
    expect(staff.locator("#conversation")).to_contain_text("Ja, morgen um zehn.")
    for watch in (person_watch, staff_watch):
        assert watch.page_errors == [] and watch.outside_requests == [] and watch.csp_violations == []
