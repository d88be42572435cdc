"""In a real browser, with mail taken from a real Dovecot by the intake's own code: a counsellor claims the
"E-Mail sichten" task from the inbox and opens a case from the mail (its image attachment becomes
evidence with a thumbnail); on another case she answers the person's mail with a reply template, and the
answer of the service the case was handed over to arrives and is confirmed after the confirmation page."""

from __future__ import annotations

import os
import re
from email.message import EmailMessage

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says how to install it; here only collection must not break
    if os.environ.get("CI"):
        pytest.fail("the Python package playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

from engine.channels.mail_intake import take_mail
from engine.channels.reply_templates import save_template
from engine.kernel.actor import Actor
from engine.kernel.settings import ImapSettings
from engine.store.tables import Case
from integrations.imap_mail import ImapMailbox
from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import log_in
from tests.evidence_files import screenshot_png
from tests.web.test_referral_answers import _answer, _handed_over

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
TEAM_LEAD = Actor("tara", frozenset({"teamleitung", "beratung"}))


def _intake(ctx, server) -> None:
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        take_mail(ctx, mailbox)


def _mail(subject: str, message_id: str, text: str, image: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = "Maria Muster <maria@example.org>", "info@starkestelle.de"
    message["Subject"], message["Message-ID"] = subject, message_id
    message.set_content(text)
    if image is not None:
        message.add_attachment(image, maintype="image", subtype="png", filename="drohung.png")
    return message.as_bytes()


def test_the_e_mail_sichten_task_is_claimed_from_the_inbox_and_a_case_opened_from_it(
    live_server: LiveServer, new_context, dovecot
):
    dovecot.append(_mail("Drohung am Rathaus", "<b1@example.org>", "Siehe Foto.", screenshot_png()))
    _intake(live_server.ctx, dovecot)
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.locator('a[data-tab="groups"]').click()
    row = page.locator("tr[data-intake]").filter(has_text="E-Mail sichten")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Übernehmen").click()
    expect(page.locator("p.flash.success")).to_contain_text("Aufgabe übernommen.")
    page.locator('a[data-tab="mine"]').click()
    mine = page.locator("tr[data-intake]").filter(has_text="E-Mail sichten")
    expect(mine).to_contain_text("Anna")
    mine.get_by_role("link", name="E-Mail sichten").click()
    expect(page.locator("#intake-task")).to_contain_text("übernommen von Anna")
    expect(page.locator(".message-body")).to_contain_text("Siehe Foto.")
    page.get_by_role("button", name="Fall eröffnen").click()
    expect(page.locator("p.flash.success")).to_contain_text("eröffnet")
    evidence = page.locator("#case-evidence li").filter(has_text="drohung.png")
    evidence.locator("img").scroll_into_view_if_needed()  # the thumbnail loads lazily
    expect(evidence.locator("img")).to_be_visible()
    assert evidence.locator("img").evaluate("image => image.naturalWidth") > 0  # the thumbnail loaded
    expect(evidence).to_contain_text("E-Mail-Eingang")
    page.goto("/?tab=mine")
    expect(page.locator("tr[data-intake]")).to_have_count(0)
    assert watch.page_errors == [] and watch.outside_requests == [] and watch.csp_violations == []


def test_answer_with_a_template_and_confirm_the_handover_from_the_services_answer(
    live_server: LiveServer, new_context, dovecot, monkeypatch
):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    ctx = live_server.ctx
    case_id, referral_id = _handed_over(ctx)
    with ctx.unit_of_work(writes=False) as session:
        reference = session.get(Case, case_id).reference
    save_template(
        ctx,
        TEAM_LEAD,
        None,
        "Eingangsbestätigung",
        "Guten Tag,\nzu {fallnummer} melden wir uns morgen.\n{berater}",
    )
    dovecot.append(_mail(f"Nachtrag [Lotse {reference}]", "<n1@example.org>", "Es kam noch ein Brief."))
    _intake(ctx, dovecot)

    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "anna")
    page.goto(f"/faelle/{case_id}")
    expect(page.locator("#conversation")).to_contain_text("Es kam noch ein Brief.")
    page.locator("#vorlage").select_option(label="Eingangsbestätigung")
    page.get_by_role("button", name="Vorlage einsetzen").click()
    expect(page.locator("#antwort")).to_have_value(re.compile(f"zu {reference} melden wir uns morgen"))
    page.get_by_role("button", name="Antwort senden").click()
    sent = page.locator("#conversation li.message-out")
    expect(sent).to_contain_text(f"zu {reference} melden wir uns morgen")
    expect(sent).to_contain_text("wartet auf Versand (kein Mailserver eingerichtet)")

    dovecot.append(
        _answer(
            f"AW: Warme Übergabe [Lotse R-{referral_id}]",
            "Eingang bestätigt, wir melden uns.",
            "<h1@hateaid.org>",
        )
    )
    _intake(ctx, dovecot)
    page.reload()
    thread = page.locator(f"#referral-thread-{referral_id}")
    expect(thread).to_contain_text("Eingang bestätigt, wir melden uns.")
    thread.get_by_role("link", name="Übergabe als bestätigt markieren").click()
    expect(page.locator("#referral-answer")).to_contain_text("Eingang bestätigt")
    page.get_by_role("button", name="Ja, als bestätigt markieren").click()
    expect(page.locator("p.flash.success")).to_contain_text("Die Vermittlung ist als bestätigt markiert.")
    expect(page.locator(f"#vermittlung-{referral_id}")).to_have_attribute("data-referral-status", "confirmed")
    assert watch.page_errors == [] and watch.outside_requests == [] and watch.csp_violations == []
