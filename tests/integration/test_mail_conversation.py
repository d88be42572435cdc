"""A conversation by e-mail: a mail from Dovecot opens a case, the counsellor answers through the outbox
with threading headers and the reference token, the person's answer to that reply lands on the case
again; the conversation tells the delivery truthfully."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from engine.channels.mail_intake import take_mail
from engine.channels.replies import ReplyRefused, case_conversation, send_reply
from engine.channels.triage import open_case_from_message, triage_queue
from engine.kernel.outbox import deliver_outbox
from engine.kernel.settings import ImapSettings, SmtpSettings
from engine.store.channel_tables import InboundMessage
from engine.store.tables import OutboxMessage
from integrations.imap_mail import ImapMailbox
from integrations.smtp_mail import SmtpMailSender
from tests.conftest import COUNSELLOR
from tests.smtp_server import SmtpServer


def _intake(ctx, server):
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        return take_mail(ctx, mailbox)


def _mail(subject: str, body: str, message_id: str, in_reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "Maria Muster <maria@example.org>"
    message["To"] = "info@starkestelle.de"
    message["Subject"], message["Message-ID"] = subject, message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


def test_answer_by_mail_and_the_persons_reply_comes_back_to_the_case(deployed, dovecot, clock):
    ctx = deployed
    dovecot.append(_mail("Drohanruf", "Man hat mich bedroht.", "<first@example.org>"))
    _intake(ctx, dovecot)
    [entry] = triage_queue(ctx, COUNSELLOR)
    case = open_case_from_message(ctx, COUNSELLOR, entry.id)

    with pytest.raises(ReplyRefused):
        send_reply(ctx, COUNSELLOR, case.case_id, "   ")
    clock.advance(timedelta(minutes=5))
    send_reply(ctx, COUNSELLOR, case.case_id, "Wir rufen Sie morgen an.")
    waiting = case_conversation(ctx, COUNSELLOR, case.case_id, mail_configured=False)
    assert [(e.direction, e.state, e.why) for e in waiting] == [
        ("in", "received", ""),
        ("out", "waiting", "no_mail_server"),
    ]
    with ctx.unit_of_work(writes=False) as session:
        row = session.scalars(select(OutboxMessage)).one()
    assert row.recipient == f"person:{case.case_id}" and b"maria" not in row.sealed  # the address is sealed

    with SmtpServer() as smtp:
        sender = SmtpMailSender(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False, timeout=5))
        assert len(deliver_outbox(ctx, sender, ctx.clock.now()).sent) == 1
        [sent] = smtp.inbox.messages
    assert smtp.inbox.envelopes[0][1] == ["maria@example.org"]
    assert sent["In-Reply-To"] == "<first@example.org>" and sent["References"] == "<first@example.org>"
    assert sent["Subject"] == f"Re: Drohanruf [Lotse {case.reference}]"
    assert [e.state for e in case_conversation(ctx, COUNSELLOR, case.case_id)] == ["received", "sent"]

    clock.advance(timedelta(hours=1))
    dovecot.append(_mail("Re: Drohanruf", "Danke, passt.", "<second@example.org>", sent["Message-ID"]))
    assert _intake(ctx, dovecot).to_cases == 1
    with ctx.unit_of_work(writes=False) as session:
        back = session.scalars(select(InboundMessage).where(InboundMessage.uid == 2)).one()
    assert (back.case_id, back.matched_by) == (case.case_id, "thread")
    conversation = case_conversation(ctx, COUNSELLOR, case.case_id)
    assert [(e.direction, e.text.strip()) for e in conversation] == [
        ("in", "Man hat mich bedroht."),
        ("out", "Wir rufen Sie morgen an."),
        ("in", "Danke, passt."),
    ]
