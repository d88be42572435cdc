"""The Vermittlung page in a real browser (issue 23, items 8 and 9): one compact list, a directory search
hit at its top, no second "Vermittelt an" checklist; after submitting, the inbox offers the way back to
the case."""

from __future__ import annotations

import pytest

from tests.conftest import COUNSELLOR
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors, log_in, shoot
from tests.steps import case_at_vermittlung, task_id_for

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)

# The page was 4,900 px tall on a laptop and 8,000 on a phone (issue 23). On the phone about 1,900 px of
# what is left is the case sidebar below the form (the earlier steps' answers), not the list.
LAPTOP_HEIGHT, PHONE_HEIGHT = 2800, 6200


def _height(page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def test_the_vermittlung_is_one_compact_list_with_the_hit_on_top(new_context, live_server, artifacts) -> None:
    case_id = case_at_vermittlung(live_server.ctx, COUNSELLOR)
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.goto(f"/aufgaben/{task_id_for(live_server.ctx, case_id, 'vermittlung')}")
    expect(page.locator("#referral-panel fieldset.proposal").first).to_be_visible()
    assert page.locator('[data-field="vermittlungsziele"]').count() == 0  # no duplicate checklist
    laptop = _height(page)

    page.locator("#suche").fill("HessenGegen")
    page.get_by_role("button", name="Vorschläge aktualisieren").click()
    first = page.locator("#referral-panel fieldset.proposal").first
    expect(first).to_have_attribute("data-offer", "hessengegenhetze")  # the hit heads the list
    shoot(page, artifacts, "30-anna-vermittlung-compact-hit-on-top")

    page.set_viewport_size({"width": 390, "height": 844})
    phone = _height(page)
    shoot(page, artifacts, "31-anna-vermittlung-compact-phone")
    parts = page.evaluate(
        "['#referral-panel', 'aside.context', '#task-form', 'header', '.instructions', '#referral-refine'].map(s => [s, document.querySelector(s) && document.querySelector(s).getBoundingClientRect().height])"
    )
    assert laptop <= LAPTOP_HEIGHT and phone <= PHONE_HEIGHT, (laptop, phone, parts)

    first.locator("select").select_option("given")
    page.locator("#complete").click()
    expect(page.locator("p.flash.success")).to_contain_text("ist erledigt")
    page.locator("#back-to-case a").click()  # the way back to the case
    expect(page).to_have_url(f"{live_server.url}/faelle/{case_id}")
    assert_no_outside_traffic_or_script_errors(watch)
