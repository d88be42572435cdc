"""A team lead reassigns a task from the inbox in a real browser: the row's field and button post
through the page's one actions form, by htmx, and the list is swapped in place."""

from __future__ import annotations

import pytest

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import (
    assert_no_outside_traffic_or_script_errors,
    log_in,
    open_new_phone_case,
    switch_tab,
    task_id_of,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)


def test_team_lead_reassigns_a_task_in_the_list(new_context, live_server, artifacts) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "tara")
    open_new_phone_case(page, live_server)
    task_id = task_id_of(page)

    page.get_by_role("navigation").get_by_role("link", name="Aufgaben").click()
    switch_tab(page, "all")
    row = page.locator(f'tr[data-task="{task_id}"]')
    field = row.get_by_label("Zuweisen an")
    expect(field).to_have_value("tara")
    expect(page.locator("#inbox-actions")).to_be_hidden()

    # Enter in the field assigns that row, as its button does
    page.evaluate("window.__lotseE2eSamePage = true")
    field.fill("ben")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        field.press("Enter")
    assert posted.value.url.endswith(f"/aufgaben/{task_id}/zuweisen") and posted.value.status == 200
    expect(page.locator("p.flash.success")).to_contain_text("Aufgabe neu zugewiesen.")
    expect(row).to_contain_text("Ben Keller")
    expect(row.get_by_label("Zuweisen an")).to_have_value("ben")

    # An unknown name is refused in German only, and the task stays with Ben
    row.get_by_label("Zuweisen an").fill("niemand")
    row.get_by_role("button", name="Zuweisen").click()
    expect(page.locator("p.flash.error")).to_contain_text("Mitarbeiter:in niemand wurde nicht gefunden.")
    expect(page.locator("p.flash.error")).not_to_contain_text("Staff member")
    expect(row).to_contain_text("Ben Keller")

    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        row.get_by_label("Zuweisen an").fill("tara")
        row.get_by_role("button", name="Zuweisen").click()
    assert posted.value.status == 200
    expect(row.get_by_label("Zuweisen an")).to_have_value("tara")
    assert page.evaluate("window.__lotseE2eSamePage === true"), "the action reloaded the whole page"
    page.screenshot(path=str(artifacts / "30-tara-reassigned-in-the-list.png"), full_page=True)
    assert_no_outside_traffic_or_script_errors(watch)
