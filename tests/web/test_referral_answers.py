"""Warm handovers answered, through a real Dovecot and HTTP: the handover e-mail carries the reply token and
its Message-ID; the service's answer (by threading or by the token alone) lands in the referral's thread on
the case page, not in the person's conversation; the counsellor confirms the referral from it after a
confirmation page (audited). Before the handover leaves the outbox the case page says so, never
"warm übergeben"."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import EmailMessage

from sqlalchemy import select

from engine.cases.lifecycle import complete_task
from engine.channels.mail_intake import take_mail
from engine.directory.search import search_offers
from engine.kernel.outbox import deliver_outbox
from engine.kernel.settings import ImapSettings, SmtpSettings
from engine.referrals.consent import Choice
from engine.referrals.steps import referral_step
from engine.store.channel_tables import InboundMessage
from engine.store.referral_tables import Referral
from engine.store.tables import AuditEvent
from integrations.imap_mail import ImapMailbox
from integrations.smtp_mail import SmtpMailSender
from tests.conftest import COUNSELLOR
from tests.smtp_server import SmtpServer
from tests.steps import case_at_vermittlung, task_id_for
from tests.web.conftest import csrf_token


def _intake(ctx, server):
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        return take_mail(ctx, mailbox)


def _answer(subject: str, body: str, message_id: str, in_reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "HateAid Beratung <beratung@hateaid.org>"
    message["To"] = "info@starkestelle.de"
    message["Subject"], message["Message-ID"] = subject, message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


def _handed_over(ctx) -> tuple[int, int]:
    case_id = case_at_vermittlung(ctx, COUNSELLOR, kurzbeschreibung="Drohungen per Instagram")
    hateaid = next(offer.id for offer in search_offers(ctx, text="hateaid") if offer.key == "hateaid")
    choice = Choice(hateaid, "handover", consent=True, facts=("land",))
    task_id = task_id_for(ctx, case_id, "vermittlung")
    complete_task(
        ctx, COUNSELLOR, task_id, {}, alongside=referral_step([choice], {}, COUNSELLOR, ctx.calendar)
    )
    with ctx.unit_of_work(writes=False) as session:
        referral_id = session.scalar(select(Referral.id).where(Referral.case_id == case_id))
    return case_id, referral_id


def _status(ctx, referral_id: int) -> str:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Referral.status).where(Referral.id == referral_id))


def test_the_services_answer_lands_in_the_referral_thread_and_confirms_it(
    deployed, client, auth, dovecot, monkeypatch
):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    ctx = deployed
    case_id, referral_id = _handed_over(ctx)
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    referrals = page.split('id="referrals"', 1)[1].split("</table>", 1)[0]
    assert "Übergabe wartet auf Versand (kein Mailserver eingerichtet)" in referrals
    assert "warm übergeben" not in referrals  # not before the e-mail left the outbox

    with SmtpServer() as smtp:
        sender = SmtpMailSender(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False, timeout=5))
        assert len(deliver_outbox(ctx, sender, ctx.clock.now()).sent) == 1
        [handover] = smtp.inbox.messages
    assert str(make_header(decode_header(handover["Subject"]))) == (
        f"Warme Übergabe durch die starke Stelle [Lotse R-{referral_id}]"
    )
    referrals = client.get(f"/faelle/{case_id}").get_data(as_text=True).split('id="referrals"', 1)[1]
    assert "warm übergeben" in referrals.split("</table>", 1)[0]

    # by threading (In-Reply-To the handover's Message-ID), then by the subject's token alone
    dovecot.append(
        _answer("AW: Warme Übergabe", "Eingang bestätigt, wir melden uns.", "<a1@hateaid.org>",
                handover["Message-ID"]),
        _answer(f"Rückfrage [Lotse R-{referral_id}]", "Noch eine Rückfrage.", "<a2@hateaid.org>"),
    )  # fmt: skip
    report = _intake(ctx, dovecot)
    assert (report.to_cases, report.to_triage) == (2, 0)
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [(r.case_id, r.referral_id, r.matched_by) for r in rows] == [
        (case_id, referral_id, "referral"),
        (case_id, referral_id, "referral"),
    ]

    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    thread = page.split(f'id="referral-thread-{referral_id}"', 1)[1].split("</ol>", 1)[0]
    assert "Eingang bestätigt, wir melden uns." in thread and "Noch eine Rückfrage." in thread
    assert "Eingang bestätigt" not in page.split('id="nachrichten"', 1)[1].split('id="vermittlungen"', 1)[0]
    # the service is not the person: no reply to the person goes to its address
    refused = client.post(
        f"/faelle/{case_id}/antwort", data={"csrf_token": csrf_token(page), "nachricht": "Hallo"}
    )
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "keine E-Mail-Adresse" in shown

    confirm_url = f"/faelle/{case_id}/vermittlungen/{referral_id}/bestaetigen/{rows[0].id}"
    assert confirm_url in thread
    confirm_page = client.get(confirm_url).get_data(as_text=True)
    assert (
        "Eingang bestätigt, wir melden uns." in confirm_page and "Ja, als bestätigt markieren" in confirm_page
    )
    assert _status(ctx, referral_id) == "handed_over"  # nothing happens before the confirmation
    done = client.post(confirm_url, data={"csrf_token": csrf_token(confirm_page)})
    assert done.headers["Location"].endswith(f"/faelle/{case_id}#vermittlungen")
    assert _status(ctx, referral_id) == "confirmed"
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Die Vermittlung ist als bestätigt markiert." in page and "Übergabe bestätigt" in page
    assert confirm_url not in page  # confirmed once
    with ctx.unit_of_work(writes=False) as session:
        details = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "referral_confirmed")
        ).all()
    assert details == [f"R-{referral_id}: {rows[0].id}"]
    with ctx.unit_of_work(writes=False) as session:
        viewed = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "message_viewed", AuditEvent.actor == "anna")
        ).all()
    assert viewed == [str(rows[0].id)]  # the confirmation page showed the answer

    again = client.post(confirm_url, data={"csrf_token": csrf_token(page)})
    assert "Nur eine warm übergebene Vermittlung" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_confirmation_only_from_an_answer_of_that_referral(deployed, client, auth, dovecot):
    ctx = deployed
    case_id, referral_id = _handed_over(ctx)
    dovecot.append(_answer("Anfrage", "Eine ganz andere Mail.", "<other@example.org>"))
    assert _intake(ctx, dovecot).to_triage == 1  # no token, no thread: triage, not the referral
    with ctx.unit_of_work(writes=False) as session:
        stray = session.scalar(select(InboundMessage.id))
    auth.login("anna")
    url = f"/faelle/{case_id}/vermittlungen/{referral_id}/bestaetigen/{stray}"
    assert client.get(url).status_code == 404
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    refused = client.post(url, data={"csrf_token": csrf_token(page)})
    assert "keine Antwort auf die Übergabe" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert _status(ctx, referral_id) == "handed_over"
