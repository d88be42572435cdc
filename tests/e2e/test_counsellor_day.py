"""Issue 23, a counsellor's day in a real browser: Back after an htmx tab change restores the whole page,
and every page has a favicon."""

from __future__ import annotations

import pytest

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import (
    assert_no_outside_traffic_or_script_errors,
    log_in,
    open_new_phone_case,
    switch_tab,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)


def test_back_after_a_tab_change_shows_the_whole_page(new_context, live_server) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    open_new_phone_case(page, live_server)
    page.get_by_role("navigation").get_by_role("link", name="Aufgaben").click()
    switch_tab(page, "groups")
    switch_tab(page, "mine")
    page.locator("#inbox tbody a[href*='/aufgaben/']").first.click()
    expect(page.locator("h1")).to_have_text("Eingang erfassen")

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/?tab=mine")
    expect(page.locator("header .who")).to_be_visible()
    expect(page.get_by_role("navigation").first).to_be_visible()
    expect(page.locator("h1")).to_have_text("Aufgaben")
    expect(page.locator('a[data-tab="mine"]')).to_have_attribute("aria-selected", "true")

    page.go_back()  # the entry htmx pushed for the earlier tab
    expect(page).to_have_url(f"{live_server.url}/?tab=groups")
    expect(page.locator("header .who")).to_be_visible()
    expect(page.locator('a[data-tab="groups"]')).to_have_attribute("aria-selected", "true")

    assert_no_outside_traffic_or_script_errors(watch)


def test_every_page_finds_its_favicon(new_context, live_server) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_count(1)
    for path in ("/favicon.ico", icon.get_attribute("href")):
        response = page.request.get(path)
        assert response.status == 200, f"{path}: {response.status}"
        assert response.headers["content-type"].startswith("image/")
    assert_no_outside_traffic_or_script_errors(watch)


def test_skip_link_and_focus_after_opening_a_case_and_after_a_refused_submit(
    new_context, live_server
) -> None:
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    skip.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    open_new_phone_case(page, live_server)
    first = page.locator("#task-form div.field").first.locator("input, select, textarea").first
    expect(first).to_be_focused()

    page.locator("#complete").click()  # nothing filled in: refused
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link").first
    target = link.get_attribute("href")
    assert target and target.startswith("#f-")
    link.click()
    expect(page).to_have_url(f"{page.url.split('#')[0]}{target}")
    assert_no_outside_traffic_or_script_errors(watch)
