"""The shipped model reads at a glance: on a 1,366-px screen the case page's diagram and the BPMN editor
show the business path only (reminders and escalations are declared on the tasks, not drawn), the case
page opens at the current step, and a case at a team lead's escalation step shows the step it is about.
"""

from __future__ import annotations

import os
import re

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture says how to install it; here only collection must not break
    if os.environ.get("CI"):
        pytest.fail("the Python package playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

from engine.cases.lifecycle import open_case
from engine.kernel.actor import Actor
from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors, log_in

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
ANNA = Actor("anna", frozenset({"beratung"}))
SCREEN = {"width": 1366, "height": 768}
BUSINESS_PATH = (
    "eingang",
    "risikoeinschaetzung",
    "vermittlung",
    "nachfassen",
    "abschluss",
    "vorfall_erfassen",
    "strafantrag_erinnerung_42",
)
CHAIN = re.compile(
    r"(_ueberfaellig|_eskalationsfrist|_erinnern|_erinnert|_eskalieren|_eskaliert)$|^eskalation_"
)
MOST_SHAPES = 70  # every element of the business path once; the drawn chains made it 370


def _drawn(page: Page, container: str) -> list[str]:
    return page.locator(f"{container} g.djs-element.djs-shape:not([data-element-id$='_label'])").evaluate_all(
        "nodes => nodes.map(node => node.getAttribute('data-element-id'))"
    )  # without the labels of events and gateways, which bpmn-js draws as shapes of their own


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"]
        and inner["y"] >= outer["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def test_case_page_and_editor_show_the_business_path_legibly(new_context, live_server: LiveServer) -> None:
    case_id = open_case(live_server.ctx, ANNA, {"kontaktkanal": "telefon"}).case_id
    context, watch = new_context()
    page = context.new_page()
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "anna")
    page.goto(f"/faelle/{case_id}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    drawn = _drawn(page, "#diagram")
    assert len(drawn) <= MOST_SHAPES, len(drawn)
    assert [element for element in drawn if CHAIN.search(element)] == []
    for element in BUSINESS_PATH:
        assert element in drawn, element
    # opened at the current step, which is in view and drawn at reading size
    current = '#diagram g.djs-element[data-element-id="eingang"]'
    expect(page.locator(f"{current}.lotse-active")).to_have_count(1)
    step = _box(page, current)
    assert _inside(step, _box(page, "#diagram")), step
    assert step["width"] >= 80, step  # 100 model units shown at 80 % or more
    page.locator("#diagram").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/legible-case.png")
    assert_no_outside_traffic_or_script_errors(watch)


def test_a_process_owner_sets_a_steps_reminder_and_escalation_in_the_panel(new_context, live_server) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto("/prozesse/fallbearbeitung/bearbeiten")
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()
    page.locator('#canvas g.djs-element[data-element-id="eingang"]').click()
    page.locator('[data-group-id="group-lotse-deadlines"] .bio-properties-panel-group-header').click()
    overdue = page.get_by_label("Überfällig ab (Erinnerung)")
    escalate = page.get_by_label("Eskalation ab (Teamleitung)")
    expect(overdue).to_have_value("arbeitsstunden(2)")
    expect(escalate).to_have_value("frist(2, 'arbeitsstunden', ab=arbeitsstunden(2))")
    overdue.fill("arbeitsstunden(3)")
    escalate.fill("")
    page.locator(
        '#canvas g.djs-element[data-element-id="vorfall_pruefen"]'
    ).click()  # the panel saves on leaving
    with page.expect_download() as started:
        page.locator("#download-draft").click()
    draft = started.value.path().read_text(encoding="utf-8")
    task = draft[
        draft.index('<bpmn:userTask id="eingang"') : draft.index(
            "</bpmn:userTask>", draft.index('id="eingang"')
        )
    ]
    assert 'name="lotse:frist" value="arbeitsstunden(3)"' in task
    assert "lotse:eskalation_ab" not in task  # an emptied field removes the declaration
    assert_no_outside_traffic_or_script_errors(watch)


def test_the_editor_fits_the_width_of_a_laptop_screen(new_context, live_server: LiveServer) -> None:
    context, watch = new_context()
    page = context.new_page()
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "paul")
    page.goto("/prozesse/fallbearbeitung/bearbeiten")
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()
    drawn = _drawn(page, "#canvas")
    assert len(drawn) <= MOST_SHAPES, len(drawn)
    assert [element for element in drawn if CHAIN.search(element)] == []
    canvas = _box(page, "#canvas")
    task = _box(page, '#canvas g.djs-element[data-element-id="risikoeinschaetzung"]')
    assert task["width"] >= 55, task  # legible: a step at well over half its size
    for element in ("kontakt_aufgenommen", "herabstufung_gateway", "fall_abgeschlossen"):  # the whole width
        box = _box(page, f'#canvas g.djs-element[data-element-id="{element}"]')
        assert canvas["x"] <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"], element
    page.screenshot(path="/tmp/legible-editor.png")
    page.locator("#canvas").hover()
    page.mouse.wheel(0, 500)  # the sub-processes below: new incident, Strafantrag
    page.screenshot(path="/tmp/legible-editor-lower.png")
    assert_no_outside_traffic_or_script_errors(watch)
