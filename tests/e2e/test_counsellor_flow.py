"""Counsellors take a phone call in a real browser: from the login to the Vermittlung task in the inbox.

A second counsellor, in a second browser context, works on a task of the same case at the same time and,
after the first one completed it, is told that it was already completed and by whom. Screenshots of the
key steps go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.browser_api import Locator, Page, expect
from tests.e2e.conftest import TIMEOUT_MS, LiveServer

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)

TASK_URL = re.compile(r"/aufgaben/([^/?#]+)$")  # also used by Playwright in JavaScript: no named groups
CASE_URL = re.compile(r"/faelle/\d+$")
DUE_TEXT = re.compile(r"^\s*(fällig in \S.*|.*überfällig)\s*$")


def shoot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def log_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(server.password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).not_to_have_url(re.compile(r"/login"))  # the inbox, or a process owner's own start page
    expect(page.locator("header .who")).to_contain_text(username.title())


def open_new_phone_case(page: Page, server: LiveServer, artifacts: Path | None = None) -> str:
    """Neuer Fall → Anruf → the Eingang task page, claimed by the user; returns its URL."""
    page.get_by_role("link", name="Neuer Fall").click()
    expect(page).to_have_url(f"{server.url}/faelle/neu")
    expect(page.locator('input[name="kontaktkanal"][value="telefon"]')).to_be_checked()
    if artifacts:
        shoot(page, artifacts, "03-anna-new-case-phone-call")
    page.locator("#open-case").click()
    expect_task_page(page, "Eingang erfassen", "land")
    expect(page.locator("p.flash.success")).to_contain_text("anonym")
    return page.url


def task_id_of(page: Page) -> str:
    found = TASK_URL.search(page.url)
    assert found, f"not on a task page: {page.url}"
    return found.group(1)


def expect_task_page(page: Page, title: str, field: str) -> str:
    """Wait for the task page titled ``title`` whose form has ``field``; return the task id."""
    expect(page).to_have_url(TASK_URL)
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(f'#task-form div.field[data-field="{field}"]')).to_be_visible()
    expect(page.locator("#task-form #complete")).to_be_visible()
    return task_id_of(page)


def fill_eingang(page: Page) -> None:
    """The required answers of the Eingang form, as the demo cases give them."""
    form = page.locator("#task-form")
    expect(form.locator('[data-given="kontaktkanal"]')).to_contain_text("Telefon")  # not asked twice
    form.locator("#f-betroffen").select_option("selbst")
    form.locator("#f-land").select_option("NW")
    form.locator("#f-amt").select_option("ehrenamt_bm")
    form.locator('input[name="vorfallarten"][value="bedrohung"]').check()
    form.locator("#f-vorfallkanal").select_option("social_media")
    form.locator("#f-kurzbeschreibung").fill("Drohende Kommentare unter einem Beitrag der Gemeinde.")
    form.locator("#f-einwilligung_dokumentation").check()


def switch_tab(page: Page, tab: str) -> None:
    """Change the inbox tab by htmx: the list is swapped in, the page itself is not reloaded."""
    page.evaluate("window.__lotseE2eSamePage = true")
    page.locator(f'a[data-tab="{tab}"]').click()
    expect(page).to_have_url(re.compile(rf"[?&]tab={tab}\b"))
    expect(page.locator(f'a[data-tab="{tab}"]')).to_have_attribute("aria-selected", "true")
    assert page.evaluate("window.__lotseE2eSamePage === true"), "the tab change reloaded the whole page"


def submit_stale(page: Page, task_url: str) -> Locator:
    """Submit a form whose task was completed meanwhile: 409 and the page that says by whom."""
    with page.expect_response(
        lambda response: response.request.method == "POST" and response.url == task_url
    ) as submitted:
        page.locator("#complete").click()
    assert submitted.value.status == 409
    gone = page.locator("#gone-message")
    expect(gone).to_be_visible()
    expect(gone).to_contain_text("bereits")
    expect(gone).to_contain_text("erledigt")
    expect(gone).to_contain_text(re.compile(r"\b(anna|Anna Berger)\b"))
    expect(page.locator("#task-form")).to_have_count(0)
    return page.locator("#typed")


def assert_no_outside_traffic_or_script_errors(*watches) -> None:
    for watch in watches:
        assert watch.outside_requests == [], watch.outside_requests
        assert watch.page_errors == [], watch.page_errors


def test_counsellor_takes_a_call_through_to_vermittlung(new_context, live_server, artifacts) -> None:
    anna_context, anna_watch = new_context()
    page = anna_context.new_page()

    # Anna logs in and takes a phone call as a new anonymous case; she has claimed its Eingang.
    page.goto("/login")
    expect(page.locator("#username")).to_be_visible()
    shoot(page, artifacts, "01-login")
    log_in(page, live_server, "anna")
    shoot(page, artifacts, "02-anna-inbox")
    eingang_url = open_new_phone_case(page, live_server, artifacts)
    expect(page.locator("p.alert[role=alert]")).to_have_count(0)  # no "claimed by someone else"
    shoot(page, artifacts, "04-anna-eingang-claimed")

    # Ben, in his own browser context, may not open it: a claimed task's case is Anna's need to know.
    ben_context, ben_watch = new_context()
    ben = ben_context.new_page()
    log_in(ben, live_server, "ben")
    refused = ben.goto(eingang_url)
    assert refused is not None and refused.status == 403
    # (he sees that the case exists, who works on it, and his ways in: web.access)
    expect(ben.locator("#outside-need-to-know")).to_contain_text("Kein Zugriff auf diesen Fall")
    expect(ben.locator("#glimpse")).to_contain_text("Anna")
    expect(ben.locator("main")).to_contain_text("Teamleitung")
    expect(ben.locator("#task-form")).to_have_count(0)
    shoot(ben, artifacts, "05-ben-no-access-to-annas-claimed-eingang")

    # Anna completes Eingang and is taken to the Risikoeinschätzung, which stays hers during the call;
    # she gives it back to the group, so a colleague may take it.
    fill_eingang(page)
    shoot(page, artifacts, "06-anna-eingang-filled")
    page.locator("#complete").click()
    risiko_id = expect_task_page(page, "Risiko einschätzen", "angst_selbsteinschaetzung")
    risiko_url = page.url
    expect(page.locator("p.flash.success")).to_contain_text("„Eingang erfassen“ ist erledigt.")
    expect(page.locator("aside.context")).to_contain_text("Nordrhein-Westfalen")
    expect(page.locator("#release-task")).to_contain_text("Sie haben diese Aufgabe übernommen.")
    page.locator("#release-task button").click()
    expect(page.locator("p.flash.success")).to_contain_text("an die Gruppe zurückgegeben")
    page.goto(risiko_url)
    expect(page.locator("main")).to_contain_text("Noch niemand hat diese Aufgabe übernommen.")

    # Ben finds that task under "Meine Gruppen" (htmx tab), with its due time, and opens its form.
    ben.goto("/")
    switch_tab(ben, "groups")
    ben_row = ben.locator(f'tr[data-task="{risiko_id}"][data-step="risikoeinschaetzung"]')
    expect(ben_row).to_be_visible()
    expect(ben_row.locator("span.due")).to_have_text(DUE_TEXT)
    ben_row.get_by_role("link", name="Risiko einschätzen").click()
    expect_task_page(ben, "Risiko einschätzen", "angst_selbsteinschaetzung")
    assert ben.url == risiko_url
    expect(ben.locator("main")).to_contain_text("Noch niemand hat diese Aufgabe übernommen.")
    ben.locator("#f-drohung_leib_leben").check()
    ben.locator("#f-angst_selbsteinschaetzung").fill("5")
    shoot(ben, artifacts, "07-ben-risikoeinschaetzung-open-at-the-same-time")

    # Anna answers so that the decision table gives HOCH, and completes first.
    form = page.locator("#task-form")
    expect(form.locator("#f-akute_gefahr")).not_to_be_checked()
    expect(form.locator("#f-warnverhalten_anzahl")).to_have_value("0")
    form.locator("#f-koerperlicher_angriff_30_tage").check()
    form.locator("#f-angst_selbsteinschaetzung").fill("8")
    shoot(page, artifacts, "08-anna-risikoeinschaetzung-hoch")
    page.locator("#complete").click()
    expect_task_page(page, "Risikostufe bestätigen", "risikostufe")

    # Ben submits his answers to the same task: it was already completed, by Anna; his input is shown.
    typed = submit_stale(ben, risiko_url)
    expect(typed).to_contain_text("Angst laut Selbsteinschätzung")  # labelled from the model's form
    expect(typed).to_contain_text("5")
    shoot(ben, artifacts, "09-ben-already-completed-by-anna")
    reopened = ben.goto(risiko_url)
    assert reopened is not None and reopened.status == 409
    expect(ben.locator("#gone-message")).to_contain_text("bereits von Anna Berger (Beratung) am")
    expect(ben.locator("#task-form")).to_have_count(0)

    # The decision table proposes HOCH; Anna confirms it and the Vermittlung is open.
    expect(page.locator("#f-risikostufe")).to_have_value("HOCH")
    expect(page.locator("#f-risikostufe option:checked")).to_have_text("HOCH")
    shoot(page, artifacts, "10-anna-risikostufe-bestaetigen-hoch")
    page.locator("#complete").click()
    vermittlung_id = expect_task_page(page, "Vermitteln (Lotsenfunktion)", "schutzmassnahmen")
    expect(page.locator("aside.context .risk")).to_have_text("HOCH")
    shoot(page, artifacts, "11-anna-vermittlung-task")

    # The Vermittlung task is in Anna's inbox with its due time: in "Meine Aufgaben" or "Meine Gruppen".
    page.get_by_role("navigation").get_by_role("link", name="Aufgaben").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator('a[data-tab="mine"]')).to_have_attribute("aria-selected", "true")
    row = page.locator(f'tr[data-task="{vermittlung_id}"][data-step="vermittlung"]')
    if row.count() == 0:  # the first list comes rendered from the server: no row now means not in "mine"
        switch_tab(page, "groups")
        expect(page.locator('span[data-count="groups"]')).not_to_have_text("0")
    else:
        expect(page.locator('span[data-count="mine"]')).not_to_have_text("0")
    expect(row).to_be_visible()
    expect(row.locator(".risk")).to_have_text("HOCH")
    expect(row.locator("span.due")).to_have_text(DUE_TEXT)
    expect(row.locator("span.due")).to_have_attribute("title", re.compile(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}"))
    shoot(page, artifacts, "12-anna-inbox-vermittlung-due")

    # The case page: risk level HOCH and the process diagram with the current step marked.
    row.locator('td a[href^="/faelle/"]').click()
    expect(page).to_have_url(CASE_URL)
    expect(page.locator("#risk-level")).to_have_text("HOCH")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    expect(diagram.locator(".lotse-active").first).to_be_attached()
    expect(diagram.locator('[data-element-id="vermittlung"].lotse-active')).to_have_count(1)
    expect(page.locator("#open-tasks")).to_contain_text("Vermitteln (Lotsenfunktion)")
    shoot(page, artifacts, "13-anna-case-page-diagram")

    assert_no_outside_traffic_or_script_errors(anna_watch, ben_watch)


def test_everything_typed_into_a_task_completed_meanwhile_is_offered_back(
    new_context, live_server, artifacts
) -> None:
    """Anna releases the Eingang of a new case; Ben and she both fill it in; she completes it first.

    Ben ticked two incident types: the page that tells him the task is gone must list both.
    """
    anna_context, anna_watch = new_context()
    page = anna_context.new_page()
    log_in(page, live_server, "anna")
    eingang_url = open_new_phone_case(page, live_server)
    eingang_id = task_id_of(page)

    page.get_by_role("navigation").get_by_role("link", name="Aufgaben").click()
    expect(page).to_have_url(f"{live_server.url}/")
    mine = page.locator(f'tr[data-task="{eingang_id}"]')
    expect(mine).to_be_visible()
    mine.get_by_role("button", name="Freigeben").click()
    expect(mine).to_have_count(0)

    ben_context, ben_watch = new_context()
    ben = ben_context.new_page()
    log_in(ben, live_server, "ben")
    ben.goto(eingang_url)
    expect_task_page(ben, "Eingang erfassen", "land")
    expect(ben.locator("main")).to_contain_text("Noch niemand hat diese Aufgabe übernommen.")
    fill_eingang(ben)
    ben.locator('#task-form input[name="vorfallarten"][value="doxxing"]').check()
    shoot(ben, artifacts, "20-ben-eingang-released-by-anna-two-incident-types")

    page.goto(eingang_url)
    fill_eingang(page)
    page.locator("#complete").click()
    expect_task_page(page, "Risiko einschätzen", "angst_selbsteinschaetzung")

    typed = submit_stale(ben, eingang_url)
    shoot(ben, artifacts, "21-ben-eingang-already-completed-typed-inputs")
    expect(typed).to_be_visible()
    shown = typed.inner_text()  # a finished server-rendered page: nothing left to wait for
    for answer in ("NW|Nordrhein-Westfalen", "bedrohung|Bedrohung", "doxxing|Doxxing"):
        assert re.search(answer, shown), f"{answer.split('|')[0]} is missing from the typed inputs: {shown!r}"

    assert_no_outside_traffic_or_script_errors(anna_watch, ben_watch)
