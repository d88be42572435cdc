"""The editors speak the process owner's language and show only the groups Lotse uses.

Paul (Prozessverantwortung) opens the BPMN editor: the properties panel is German and shows candidate
group, due and follow-up date, priority, form and documentation, but none of Camunda's engine settings
(History cleanup, External task, Job execution, Candidate starter). The decision table editor is German
too. After switching to English, both editors are English and the hidden groups stay hidden.
"""

from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture says how to install it; here only collection must not break
    if os.environ.get("CI"):
        pytest.fail("the Python package playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors, log_in, shoot

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)

EDITOR = "/prozesse/fallbearbeitung/bearbeiten"
CAMUNDA_ONLY = ("History cleanup", "External task", "Job execution", "Candidate starter", "Task listeners")
PANEL = "#properties"
GROUP_TITLES = f"{PANEL} .bio-properties-panel-group-header-title"


def _open_editor(page: Page) -> None:
    page.goto(EDITOR)
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()


def _group_titles(page: Page) -> list[str]:
    return [title.strip() for title in page.locator(GROUP_TITLES).all_inner_texts()]


def _select(page: Page, element_id: str) -> None:
    page.locator(f'g.djs-element[data-element-id="{element_id}"]').click()
    expect(page.locator(".bio-properties-panel-header-label")).not_to_have_text("")


def _expect_no_camunda_groups(page: Page) -> None:
    panel = page.locator(PANEL)
    for hidden in CAMUNDA_ONLY:
        expect(panel).not_to_contain_text(hidden)
    assert not page.locator('[data-group-id="group-CamundaPlatform__HistoryCleanup"]').count()


def test_the_editors_speak_german_and_show_only_lotses_groups(new_context, live_server, artifacts) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "paul")
    _open_editor(page)

    # the process itself (nothing selected): no history cleanup, no candidate starters, no job settings
    expect(page.locator(GROUP_TITLES).first).to_have_text("Allgemein")
    _expect_no_camunda_groups(page)

    _select(page, "eingang")
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text("Eingang erfassen")
    expect(page.locator(".bio-properties-panel-header-type")).to_have_text("Benutzeraufgabe")
    titles = _group_titles(page)
    for german in ("Allgemein", "Dokumentation", "Zuständigkeit und Fristen", "Formular", "Formularfelder"):
        assert german in titles, titles
    for english in ("General", "User assignment", "Forms", "Form fields", "Asynchronous continuations"):
        assert english not in titles, titles
    _expect_no_camunda_groups(page)
    page.locator(
        '[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header'
    ).click()
    assignment = page.locator('[data-group-id="group-CamundaPlatform__UserAssignment"]')
    for label in ("Zuständige Gruppe", "Fälligkeit", "Wiedervorlage", "Priorität"):
        expect(assignment).to_contain_text(label)
    shoot(page, artifacts, "40-paul-editor-in-german")

    # a step's reminder and escalation (declared, not drawn): a group of its own, in German
    _select(page, "vermittlung")
    titles = _group_titles(page)
    assert "Erinnerung und Eskalation" in titles and "Zusätzliche Eigenschaften" in titles, titles
    page.locator('[data-group-id="group-lotse-deadlines"] .bio-properties-panel-group-header').click()
    deadlines = page.locator('[data-group-id="group-lotse-deadlines"]')
    for label in ("Überfällig ab (Erinnerung)", "Eskalation ab (Teamleitung)"):
        expect(deadlines).to_contain_text(label)
    _expect_no_camunda_groups(page)

    page.goto("/prozesse")
    page.get_by_role("link", name="Entscheidungstabelle fristen.dmn bearbeiten").click()
    expect(page.locator('#modeler[data-state="ready"]')).to_be_attached()
    expect(page.locator("#canvas")).to_contain_text("Trefferrichtlinie")
    expect(page.locator("#canvas")).to_contain_text("Wenn")
    expect(page.locator("#canvas")).to_contain_text("Dann")
    expect(page.locator("#canvas")).not_to_contain_text("Hit policy")
    expect(page.locator(".hit-policy select, .hit-policy")).to_contain_text("Eindeutig")
    shoot(page, artifacts, "41-paul-decision-table-in-german")

    page.get_by_role("button", name="English").click()
    _open_editor(page)
    _select(page, "eingang")
    expect(page.locator(".bio-properties-panel-header-type")).to_have_text("User Task")
    titles = _group_titles(page)
    for english in ("General", "Documentation", "User assignment", "Form fields"):
        assert english in titles, titles
    assert "Allgemein" not in titles
    assert "Reminder and escalation" in titles and "Erinnerung und Eskalation" not in titles, titles
    _expect_no_camunda_groups(page)
    shoot(page, artifacts, "42-paul-editor-in-english")
    assert_no_outside_traffic_or_script_errors(watch)
