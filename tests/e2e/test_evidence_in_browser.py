"""In a real browser: a counsellor attaches a screenshot with its metadata, sees its thumbnail and hash on
the case page, and produces the evidence dossier PDF, whose text (pdftotext) names the file's SHA-256."""

from __future__ import annotations

import hashlib

import pytest

from engine.cases.lifecycle import claim_task, open_case
from engine.kernel.actor import Actor
from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import log_in
from tests.pdf_text import pdf_text
from tests.steps import task_id_for

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
ANNA = Actor("anna", frozenset({"beratung"}))


def test_counsellor_attaches_a_screenshot_and_the_dossier_names_its_hash(
    live_server: LiveServer, new_context
):
    opened = open_case(live_server.ctx, ANNA, {"kontaktkanal": "telefon"})
    claim_task(live_server.ctx, ANNA, task_id_for(live_server.ctx, opened.case_id, "eingang"))
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.goto(f"/faelle/{opened.case_id}")
    shot = page.screenshot()  # a real screenshot, as the person would send one
    page.locator("summary", has_text="Beweisstück anhängen").click()
    page.locator("#beweis-datei").set_input_files(
        {"name": "drohung.png", "mimeType": "image/png", "buffer": shot}
    )
    page.locator("#beweis-plattform").fill("Facebook")
    page.locator("#beweis-url").fill("https://example.org/beitrag/42")
    page.locator("#beweis-profil").fill("@drohkonto")
    page.locator("#beweis-veroeffentlicht").fill("2026-05-30T21:15")
    page.locator("#beweis-gesichert").fill("2026-06-01T09:40")
    page.locator("#beweis-beschreibung").fill("Drohung unter dem Beitrag zur Ratssitzung")
    page.get_by_role("button", name="Beweisstück speichern").click()
    expect(page.locator("p.flash.success")).to_contain_text("Beweisstück verschlüsselt gespeichert")
    digest = hashlib.sha256(shot).hexdigest()
    item = page.locator("#case-evidence li").first
    expect(item).to_contain_text(digest)
    expect(item).to_contain_text("@drohkonto")
    expect(item).to_contain_text("30.05.2026 21:15")
    thumbnail = item.locator("img")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("image => image.complete && image.naturalWidth") > 0
    with page.expect_download() as started:
        page.locator("#evidence-dossier").click()
    dossier = started.value
    assert dossier.suggested_filename == f"beweisdossier-{opened.reference}.pdf"
    with open(dossier.path(), "rb") as handle:
        text = pdf_text(handle.read())
    assert digest in text and "@drohkonto" in text and "Facebook" in text
    assert watch.page_errors == [] and watch.outside_requests == []
