"""A process owner changes the process in the browser editor; a counsellor gets the change in a new case.

Paul (Prozessverantwortung) selects the Eingang task, adds a form field and sets a due date in the
properties panel. The first review refuses a due date that is not a date and marks the task on the
canvas; the draft stays, he fixes the due date, the review shows the task as changed, he deploys.
Anna (Beratung) opens a new case: the Eingang form has the new field and the new due date; the editor
is closed to her. Screenshots go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture says how to install it; here only collection must not break
    if os.environ.get("CI"):
        pytest.fail("the Python package playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

from engine.calendar.business_calendar import BERLIN, BusinessCalendar
from tests.conftest import shipped_models
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import (
    assert_no_outside_traffic_or_script_errors,
    expect_task_page,
    log_in,
    open_new_phone_case,
    shoot,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)

EDITOR = "/prozesse/fallbearbeitung/bearbeiten"
NEW_FIELD = "rueckruf_zeitfenster"
USER_ASSIGNMENT = '[data-group-id="group-CamundaPlatform__UserAssignment"]'
FORM_FIELDS = '[data-group-id="group-CamundaPlatform__FormData"]'


def open_group(page: Page, group: str) -> None:
    header = page.locator(f"{group} .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def set_due_date(page: Page, expression: str) -> None:
    open_group(page, USER_ASSIGNMENT)
    due = page.locator("#bio-properties-panel-dueDate")
    expect(page.locator('[data-entry-id="dueDate"] .bio-properties-panel-description')).to_contain_text(
        "Python-Ausdruck"
    )
    due.fill(expression)
    due.press("Tab")
    expect(due).to_have_value(expression)


def review(page: Page) -> None:
    page.locator("#review-button").click()
    expect(page.locator("#review #review-result")).to_be_visible()


def test_process_owner_adds_a_field_and_a_due_date_and_deploys(new_context, live_server, artifacts) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.get_by_role("link", name="Prozesse").click()
    expect(page.locator('tr[data-version="1"] .open-cases')).to_have_text("0")
    shoot(page, artifacts, "20-paul-process-overview")
    page.locator("#edit-fallbearbeitung").click()
    expect(page).to_have_url(f"{live_server.url}{EDITOR}")
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()

    page.locator('g.djs-element[data-element-id="eingang"]').click()
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text("Eingang erfassen")

    # a new form field, added in the properties panel
    open_group(page, FORM_FIELDS)
    page.locator(f"{FORM_FIELDS} .bio-properties-panel-group-header .bio-properties-panel-add-entry").click()
    field_id = page.locator(f'{FORM_FIELDS} input[id$="-formFieldID"]').last
    field_id.fill(NEW_FIELD)
    page.locator(f'{FORM_FIELDS} input[id$="-formFieldLabel"]').last.fill("Rückruf-Zeitfenster")
    page.locator(f'{FORM_FIELDS} select[id$="-formFieldType"]').last.select_option("string")
    field_id.press("Tab")

    # a due date that is not a date: refused, marked on the canvas, the draft stays
    set_due_date(page, "'morgen'")
    review(page)
    problem = page.locator('#review li.problem[data-element-id="eingang"][data-severity="error"]')
    expect(problem).to_contain_text("dueDate")
    expect(page.locator("#deploy-form")).to_have_count(0)
    expect(page.locator('g.djs-element[data-element-id="eingang"].lotse-error')).to_be_attached()
    shoot(page, artifacts, "21-paul-review-refuses-due-date")

    set_due_date(page, "arbeitstage(5)")
    review(page)
    expect(page.locator('#review li[data-diff-element="eingang"][data-diff="changed"]')).to_contain_text(
        "Formular"
    )
    expect(page.locator('g.djs-element[data-element-id="eingang"].lotse-changed')).to_be_attached()
    expect(page.locator('g.djs-element[data-element-id="eingang"].lotse-error')).to_have_count(0)
    shoot(page, artifacts, "22-paul-review-shows-diff")
    page.locator("#deploy-button").click()
    expect(page.locator("#deployed-message")).to_contain_text(
        "Version 2 von fallbearbeitung ist bereitgestellt"
    )
    shoot(page, artifacts, "23-paul-deployed")
    page.goto("/prozesse")
    expect(page.locator('tr[data-version="2"]')).to_contain_text("Paul")

    # a counsellor: the new case runs on version 2 and shows the field; the editor is closed to her
    anna_context, anna_watch = new_context()
    anna = anna_context.new_page()
    log_in(anna, live_server, "anna")
    expect(anna.get_by_role("link", name="Prozesse")).to_have_count(0)
    open_new_phone_case(anna, live_server)
    expect_task_page(anna, "Eingang erfassen", NEW_FIELD)
    expect(anna.locator(f'#task-form div.field[data-field="{NEW_FIELD}"]')).to_contain_text(
        "Rückruf-Zeitfenster"
    )
    expected_due = BusinessCalendar(land="NW").add_working_days(datetime.now(UTC), 5).astimezone(BERLIN)
    expect(anna.locator("span.due")).to_have_attribute("title", expected_due.strftime("%d.%m.%Y %H:%M"))
    shoot(anna, artifacts, "24-anna-new-case-has-the-new-field")
    response = anna.goto(EDITOR)
    assert response is not None and response.status == 403
    expect(anna.locator("main")).to_contain_text("Kein Zugriff")
    shoot(anna, artifacts, "25-anna-cannot-open-the-editor")
    assert_no_outside_traffic_or_script_errors(watch, anna_watch)


def test_process_owner_changes_a_decision_table_cell(new_context, live_server, artifacts) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto("/prozesse")
    page.get_by_role("link", name="Entscheidungstabelle fristen.dmn bearbeiten").click()
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()
    cell = page.locator('td[data-element-id="fristen_hoch_eskalation_einheit"]')
    expect(cell).to_have_text('"arbeitsstunden"')
    cell.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type('"arbeitstage"')
    page.locator("h1").click()  # leave the cell
    expect(cell).to_have_text('"arbeitstage"')
    review(page)
    expect(page.locator('#review li[data-diff-element="fristen_bestimmen"]')).to_contain_text(
        "Entscheidungstabelle"
    )
    shoot(page, artifacts, "26-paul-decision-table-review")
    page.locator("#deploy-button").click()
    expect(page.locator("#deployed-message")).to_contain_text("ist bereitgestellt")
    # dmn-js keeps the English texts the model carries in extension elements
    saved = page.request.get(f"{live_server.url}/prozesse/fallbearbeitung/v2/fristen.dmn").text()
    assert '"arbeitstage"' in saved and "<lotse:properties>" in saved
    assert 'value="Offer prevention material"' in saved and 'value="HOCH (high)"' in saved
    assert_no_outside_traffic_or_script_errors(watch)


def test_process_owner_uploads_a_file_from_the_desktop_modeler(new_context, live_server, artifacts) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto("/prozesse")
    bpmn, _dmn = shipped_models()
    changed = bpmn.replace(b'name="Fall abschlie', 'name="Fall endgültig abschlie'.encode(), 1)
    assert changed != bpmn
    page.locator("#datei").set_input_files(
        files=[{"name": "fallbearbeitung.bpmn", "mimeType": "application/xml", "buffer": changed}]
    )
    page.locator("#upload-form button[type=submit]").click()
    expect(page.locator('#review-result li[data-diff-element="abschluss"]')).to_contain_text("Name")
    shoot(page, artifacts, "27-paul-upload-review")
    page.locator("#deploy-button").click()
    expect(page).to_have_url(f"{live_server.url}/prozesse")
    expect(page.locator("p.flash.success")).to_contain_text("ist bereitgestellt")
    assert_no_outside_traffic_or_script_errors(watch)
