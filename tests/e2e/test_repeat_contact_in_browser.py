"""A counsellor takes a call from a number that belongs to an existing confidential case: the intake page
says so while she types (htmx), and she adds the contact to that case instead of opening a new one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.kernel.actor import Actor
from engine.person.intake import IntakeRoutes, open_case_for_person
from engine.store.tables import Case
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import log_in, shoot

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)

ANNA = Actor("anna", frozenset({"beratung"}))


def _cases(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_a_known_number_at_intake_adds_the_contact_to_the_existing_case(
    new_context, live_server, artifacts
) -> None:
    ctx = live_server.ctx
    known = open_case_for_person(
        ctx, ANNA, {"kontaktkanal": "telefon"}, "vertraulich", IntakeRoutes(phone="+49 171 7654321")
    )
    before = _cases(ctx)
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.get_by_role("link", name="Neuer Fall").click()
    page.locator('input[name="modus"][value="vertraulich"]').check()
    page.locator("#intake-phone").fill("0171 7654321")
    hint = page.locator(f'[data-known-case="{known.reference}"]')
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Diese Person ist schon bekannt")
    shoot(page, artifacts, "person-01-known-number-at-intake")
    hint.locator('input[name="zusammenfassung"]').fill("ruft wegen neuer Drohung zurück")
    hint.get_by_role("button", name=re.compile(f"Kontakt zu Fall {known.reference} hinzufügen")).click()
    expect(page).to_have_url(re.compile(rf"/faelle/{known.case_id}#kontakte$"))
    expect(page.locator("p.flash.success")).to_contain_text("kein neuer Fall")
    expect(page.locator("#contacts-log")).to_contain_text("ruft wegen neuer Drohung zurück")
    shoot(page, artifacts, "person-02-contact-on-the-existing-case")
    assert _cases(ctx) == before, "no new case was opened"
    assert watch.page_errors == [] and watch.outside_requests == []
