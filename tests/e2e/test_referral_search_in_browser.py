"""The Vermittlung's referral panel in a real browser: a counsellor chooses a proposal, then searches the
directory for a service the proposals leave out; the panel is refreshed in place (htmx), the choice made
before the search is still there, and both referrals are recorded when the task is submitted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.referral_tables import Referral, SupportOffer
from tests.conftest import COUNSELLOR
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors, log_in, shoot
from tests.steps import case_at_vermittlung, task_id_for

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)


def test_a_search_in_the_panel_keeps_the_choice_made_before_it(new_context, live_server, artifacts) -> None:
    case_id = case_at_vermittlung(live_server.ctx, COUNSELLOR)
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    task_url = f"/aufgaben/{task_id_for(live_server.ctx, case_id, 'vermittlung')}"
    page.goto(task_url)

    first = page.locator("#referral-panel fieldset.proposal").first
    first_offer = first.get_attribute("data-offer")
    first.locator("select").select_option("given")
    page.evaluate("window.__lotseE2eSamePage = true")
    page.locator("#suche").fill("HessenGegen")
    page.get_by_role("button", name="Vorschläge aktualisieren").click()

    found = page.locator('#referral-found fieldset[data-offer="hessengegenhetze"]')
    expect(found).to_be_visible()
    expect(page.locator("#referral-found h3")).to_contain_text("HessenGegen")
    expect(page.locator(f'fieldset[data-offer="{first_offer}"] select')).to_have_value("given")
    assert page.evaluate("window.__lotseE2eSamePage === true"), "the search reloaded the whole page"
    assert page.url.endswith(task_url)
    shoot(page, artifacts, "20-anna-vermittlung-directory-search")

    found.locator("select").select_option("given")
    page.locator("#complete").click()
    expect(page.locator("p.flash.success")).to_contain_text("ist erledigt")
    with live_server.ctx.unit_of_work(writes=False) as session:
        recorded = session.execute(
            select(SupportOffer.key, Referral.status)
            .join(SupportOffer, SupportOffer.id == Referral.offer_id)
            .where(Referral.case_id == case_id)
        ).all()
    assert sorted(recorded) == sorted([(first_offer, "given"), ("hessengegenhetze", "given")])
    assert_no_outside_traffic_or_script_errors(watch)
