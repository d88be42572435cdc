"""Issue 23, item 18: every page a counsellor uses fits a 390-px-wide phone without horizontal scrolling."""

from __future__ import annotations

import pytest

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import log_in, open_new_phone_case

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
PHONE = {"width": 390, "height": 844}


def test_pages_fit_a_390_px_phone(new_context, live_server) -> None:
    context, _ = new_context()
    page = context.new_page()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "tara")
    task_url = open_new_phone_case(page, live_server)
    case_url = live_server.url + page.locator(
        "main a[href^='/faelle/']:not([href='/faelle/neu'])"
    ).first.get_attribute("href")
    too_wide = []
    for url in (f"{live_server.url}/?tab=all", f"{live_server.url}/faelle/neu", task_url, case_url):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        header = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
        if width > PHONE["width"] or header > 200:
            too_wide.append(f"{url}: {width} px wide, header {header} px")
    assert too_wide == [], too_wide


def test_the_person_reads_a_long_message_in_the_mailbox_on_a_phone(new_context, live_server) -> None:
    context, _ = new_context()
    page = context.new_page()
    page.set_viewport_size(PHONE)
    long_line = (
        "Seit Wochen bekomme ich Drohungen über mehrere Plattformen, " * 12
        + "https://example.org/"
        + "x" * 120
    )
    page.goto(f"{live_server.url}/kontakt")
    page.fill("#text", long_line)
    page.fill("#passphrase", "mein geheimer satz")
    page.fill("#passphrase2", "mein geheimer satz")
    page.locator("main form button[type=submit]").first.click()
    code = page.locator("#fallcode strong").inner_text()
    page.goto(f"{live_server.url}/kontakt/postfach")
    page.fill("#code", code)
    page.fill("#passphrase", "mein geheimer satz")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("pre.message-body").first).to_contain_text("Seit Wochen")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
