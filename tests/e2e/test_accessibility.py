"""Issue 23, item 20: axe-core (from npm, web/frontend/node_modules) finds no serious or critical
violation on any page any role reaches from its navigation, nor on a case page (with its diagram drawn),
a task page, the process editors (BPMN and DMN) and the review of a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases.lifecycle import open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from tests.conftest import COUNSELLOR
from tests.e2e.browser_api import Page, expect
from tests.e2e.conftest import ROOT, TIMEOUT_MS
from tests.e2e.test_counsellor_flow import log_in, open_new_phone_case
from tests.steps import complete

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
AXE = ROOT / "web" / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("anna", "tara", "paul", "ada")
SEVERE = ("serious", "critical")


def _axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make frontend` (npm ci installs axe-core)", pytrace=False)
    return Path(AXE).read_text(encoding="utf-8")


def _violations(page: Page, source: str) -> list[str]:
    """Serious and critical axe-core violations of the page as it is shown."""
    page.add_script_tag(content=source)  # Playwright injects it through the DevTools protocol, past the CSP
    found = page.evaluate("async () => (await window.axe.run(document)).violations")
    return [
        f"{page.url} {item['id']} ({item['impact']}): {[node['target'] for node in item['nodes']][:3]}"
        for item in found
        if item["impact"] in SEVERE
    ]


def _pages_of(page: Page) -> list[str]:
    """The addresses the person's header navigation offers."""
    hrefs = page.locator("header nav a").evaluate_all("links => links.map(link => link.href)")
    return list(dict.fromkeys(hrefs))


EDITORS = ("/prozesse/fallbearbeitung/bearbeiten", "/prozesse/fallbearbeitung/dmn/fristen.dmn/bearbeiten")


def _editor_violations(page: Page, source: str) -> list[str]:
    """The BPMN and DMN editors once drawn, and each with the review of its (unchanged) draft."""
    found: list[str] = []
    for editor in EDITORS:
        page.goto(editor)
        expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()
        found += _violations(page, source)
        page.locator("#review-button").click()
        expect(page.locator("#review #review-result")).to_be_visible()
        found += [f"{problem} (review)" for problem in _violations(page, source)]
    return found


def _unclaimed_acute_case(ctx) -> None:
    """An AKUT case whose next step nobody has claimed: the header's alert shows on the pages of its group."""
    case_id = open_case(ctx, COUNSELLOR).case_id
    complete(ctx, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(ctx, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["AKUT"]})
    complete(ctx, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": "AKUT"})


def test_no_serious_or_critical_axe_violation_on_any_page_of_any_role(browser, live_server) -> None:
    source = _axe_source()
    problems: list[str] = []
    _unclaimed_acute_case(live_server.ctx)
    for username in ROLES:
        context = browser.new_context(base_url=live_server.url, locale="de-DE", bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        log_in(page, live_server, username)
        targets = _pages_of(page)
        if username == "anna":
            task_url = open_new_phone_case(page, live_server)
            case_link = page.locator("main a[href^='/faelle/']:not([href$='/neu'])").first.get_attribute(
                "href"
            )
            targets += [task_url, f"{live_server.url}{case_link}"]
        for target in targets:
            page.goto(target)
            page.wait_for_load_state("networkidle")
            if page.locator("#diagram").count():
                expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
            problems += _violations(page, source)
        if username == "paul":
            problems += _editor_violations(page, source)
        context.close()
    assert problems == [], "\n".join(problems)
