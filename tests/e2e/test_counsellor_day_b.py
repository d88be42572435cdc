"""Issue 23, what only a browser shows: the case diagram opens at the current step in reading size, and
the directory's e-mail and web address inputs look like the other inputs."""

from __future__ import annotations

import pytest

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import (
    assert_no_outside_traffic_or_script_errors,
    log_in,
    open_new_phone_case,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)


def test_the_case_diagram_opens_at_the_current_step(new_context, live_server) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    open_new_phone_case(page, live_server)
    page.locator("main a[href^='/faelle/']:not([href$='/neu'])").first.click()
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    step = diagram.locator('g.djs-element.lotse-active[data-element-id="eingang"]')
    expect(step).to_be_visible()
    shown, frame = step.bounding_box(), diagram.bounding_box()
    assert shown and frame
    assert shown["width"] >= 80, f"the current step is drawn {shown['width']:.0f} px wide: zoomed out"
    middle_x, middle_y = shown["x"] + shown["width"] / 2, shown["y"] + shown["height"] / 2
    assert frame["x"] < middle_x < frame["x"] + frame["width"]
    assert frame["y"] < middle_y < frame["y"] + frame["height"]
    assert_no_outside_traffic_or_script_errors(watch)


def test_directory_email_and_address_inputs_match_the_others(new_context, live_server) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "tara")
    page.goto("/verzeichnis/neu")
    style = "el => { const s = getComputedStyle(el); return [s.fontSize, s.fontFamily, el.offsetWidth]; }"
    reference = page.locator("#name").evaluate(style)
    for field in ("#email", "#web", "#form_url", "#source_url"):
        assert page.locator(field).evaluate(style) == reference, field
    assert_no_outside_traffic_or_script_errors(watch)
