"""A counsellor starts a case on a second deployed process through Neuer Fall, with its start form.

The built-in process is preselected; choosing the second process shows its start form; a value that
breaks a constraint is refused at the field with what was typed kept; the corrected form opens the
case on the second process and leads to its first task.
"""

from __future__ import annotations

import pytest

from engine.processes.deployment import deploy_process
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import (
    assert_no_outside_traffic_or_script_errors,
    expect_task_page,
    log_in,
    shoot,
)
from tests.web.start_form_model import START_FORM_MODEL

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)


def test_a_case_starts_on_a_second_process_with_its_start_form(new_context, live_server, artifacts) -> None:
    deploy_process(live_server.ctx, "paul", START_FORM_MODEL)
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.get_by_role("link", name="Neuer Fall").click()
    expect(page.locator("#prozess")).to_have_value("fallbearbeitung")
    expect(page.locator("#start-form")).to_have_count(0)
    page.locator("#prozess").select_option("schulung")
    page.locator("#choose-process").click()
    form = page.locator("#start-form")
    expect(form).to_contain_text("Zahl der Teilnehmenden")
    expect(form).to_contain_text("Grundkurs")  # readonly: shown, not a field
    expect(form.locator('[name="programm"]')).to_have_count(0)
    page.locator("#f-teilnehmende").fill("0")
    page.locator("#open-case").click()
    expect(page.locator('div.field.invalid[data-field="format"] p.error')).to_contain_text("Pflichtfeld")
    expect(page.locator("#f-teilnehmende")).to_have_value("0")
    shoot(page, artifacts, "start-form-refused")
    page.locator("#f-teilnehmende").fill("12")
    page.locator("#f-format").select_option("online")
    page.locator("#open-case").click()
    expect_task_page(page, "Schulung planen", "termin")
    expect(page.locator("p.flash.success")).to_contain_text("anonym")
    shoot(page, artifacts, "start-form-case-opened")
    assert_no_outside_traffic_or_script_errors(watch)
