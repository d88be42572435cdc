"""A draft whose change breaks a test case stored with the model is refused at review, in the browser.

Paul changes the condition "help did not arrive" on the flow back to Vermittlung in the editor's
properties panel; Prüfen runs the model's stored tests against the draft: the test of that path fails,
the review names it, and no deploy is offered. Undoing the change lets the draft pass again.
"""

from __future__ import annotations

import pytest

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors, log_in, shoot
from tests.e2e.test_process_owner_edits_model import EDITOR, open_group, review

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)

CONDITION = '[data-group-id="group-CamundaPlatform__Condition"]'


def test_a_draft_that_breaks_a_stored_model_test_is_refused_at_review(new_context, live_server, artifacts):
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto(EDITOR)
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()
    page.evaluate(
        """() => {
          const modeler = document.getElementById('modeler').lotseModeler;
          modeler.get('selection').select(modeler.get('elementRegistry').get('flow_hilfe_nein'));
        }"""
    )
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text("nein")
    open_group(page, CONDITION)
    condition = page.locator("#bio-properties-panel-conditionExpression")
    expect(condition).to_have_value("hilfe_angekommen == 'nein'")
    condition.fill("hilfe_angekommen == 'nie'")
    condition.press("Tab")

    review(page)
    failed = page.locator("#review li.problem", has_text="Modelltest")
    expect(failed).to_contain_text("Hilfe nicht angekommen: erneute Vermittlung")
    expect(failed).to_have_attribute("data-severity", "error")
    expect(page.locator("#deploy-form")).to_have_count(0)
    shoot(page, artifacts, "43-paul-draft-fails-a-model-test")

    condition.fill("hilfe_angekommen == 'nein'")
    condition.press("Tab")
    review(page)
    expect(page.locator("#review li.problem", has_text="Modelltest")).to_have_count(0)
    assert_no_outside_traffic_or_script_errors(watch)
