"""Outbox contents at rest: sealed when queued, opened only to hand the mail to a real local SMTP server,
gone once delivered (the delivery record stays), kept sealed for a retry and in a dead letter."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

from sqlalchemy import select, update

from engine.directory.search import search_offers
from engine.kernel import outbox
from engine.kernel.outbox import dead_letters, deliver_outbox, retry_delay
from engine.kernel.settings import SmtpSettings
from engine.referrals.consent import Choice
from engine.store.tables import OutboxMessage
from integrations.smtp_mail import SmtpMailSender
from tests.conftest import COUNSELLOR
from tests.database_dump import database_bytes, found_in
from tests.integration.test_referrals import refer
from tests.smtp_server import SmtpServer, free_port
from tests.steps import case_at_vermittlung, message_content

MARKER = "Markertext-Vb3Rn8 Schmiererei an der Haustür"
PHONE = "0160 5550177 42"
DESCRIPTION = f"{MARKER}; zurückrufen unter {PHONE}"
NEEDLES = (MARKER, "Vb3Rn8", PHONE, PHONE.replace(" ", ""), "5550177")


def _sender(port: int) -> SmtpMailSender:
    return SmtpMailSender(SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=5))


def _handover(ctx) -> int:
    """A warm handover to HateAid sharing the description and the phone number: the outbox row's id."""
    case_id = case_at_vermittlung(ctx, COUNSELLOR, kurzbeschreibung=DESCRIPTION)
    hateaid = next(offer.id for offer in search_offers(ctx, text="hateaid") if offer.key == "hateaid")
    choice = Choice(
        hateaid, "handover", consent=True, facts=("kurzbeschreibung", "kontakt"), contact=f"Tel {PHONE}"
    )
    refer(ctx, case_id, [choice])
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(OutboxMessage.id).where(OutboxMessage.case_id == case_id))


def _row(ctx, message_id: int) -> OutboxMessage:
    with ctx.unit_of_work(writes=False) as session:
        return session.get(OutboxMessage, message_id)


def _received_body(server: SmtpServer, index: int = 0) -> str:
    return server.inbox.messages[index].get_payload(decode=True).decode()


def test_the_sink_gets_the_clear_handover_and_the_row_keeps_only_the_record(deployed, clock, database_url):
    ctx = deployed
    message_id = _handover(ctx)
    queued = _row(ctx, message_id)
    assert queued.sealed is not None and found_in(queued.sealed, NEEDLES) == []
    with SmtpServer() as server:
        report = deliver_outbox(ctx, _sender(server.port), clock.now())
    assert report.sent == [message_id] and len(server.inbox.messages) == 1
    received = server.inbox.messages[0]
    body = _received_body(server)
    assert f"- Kurzbeschreibung: {DESCRIPTION}" in body
    assert f"- So ist die Person erreichbar: Tel {PHONE}" in body
    subject = str(make_header(decode_header(received["Subject"])))
    assert subject.startswith("Warme Übergabe durch die starke Stelle")
    assert server.inbox.envelopes[0][1] == ["beratung@hateaid.org"]
    sent = _row(ctx, message_id)
    assert sent.sealed is None  # the content is gone ...
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, clock.now(), None)
    assert (sent.kind, sent.recipient) == (
        "referral_handover",
        "beratung@hateaid.org",
    )  # ... the record stays
    assert received["Message-ID"] == f"<{sent.dedupe_key.replace(':', '.')}@lotse.invalid>"
    assert found_in(database_bytes(database_url), NEEDLES) == []


def test_a_retry_after_a_failed_attempt_still_has_the_body(deployed, clock):
    ctx = deployed
    message_id = _handover(ctx)
    port = free_port()  # nothing listens here yet
    first = deliver_outbox(ctx, _sender(port), clock.now())
    waiting = _row(ctx, message_id)
    assert first.retried == [message_id] and waiting.status == "pending" and waiting.attempts == 1
    assert waiting.sealed is not None
    assert f"Tel {PHONE}" in message_content(ctx, waiting).body
    with SmtpServer(port) as server:
        later = deliver_outbox(ctx, _sender(port), clock.now() + retry_delay(1))
    assert later.sent == [message_id] and f"- Kurzbeschreibung: {DESCRIPTION}" in _received_body(server)
    delivered = _row(ctx, message_id)
    assert delivered.sealed is None and delivered.status == "sent" and delivered.attempts == 2


def test_a_dead_letter_keeps_its_content_sealed(deployed, clock):
    ctx = deployed
    message_id = _handover(ctx)
    report = deliver_outbox(ctx, _sender(free_port()), clock.now(), max_attempts=1)
    dead = _row(ctx, message_id)
    assert report.dead == [message_id] and dead.status == "dead"
    assert dead.sealed is not None and found_in(dead.sealed, NEEDLES) == []
    assert f"Tel {PHONE}" in message_content(ctx, dead).body
    (letter,) = dead_letters(ctx)
    assert (letter.id, letter.recipient, letter.kind) == (
        message_id,
        "beratung@hateaid.org",
        "referral_handover",
    )


def _queue_two(ctx) -> list[int]:
    with ctx.unit_of_work() as session:
        for name in ("first", "second"):
            outbox.enqueue(
                session,
                ctx.clock.now(),
                dedupe_key=f"bound:{name}",
                kind="reminder",
                recipient=f"{name}@example.org",
                subject=f"Betreff {name}",
                body=f"Text für {name}",
            )
        session.commit()
        return list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def test_a_content_opens_only_for_its_own_message_and_recipient(ctx, clock):
    first, second = _queue_two(ctx)
    with ctx.unit_of_work() as session:  # what someone with write access to the table might try
        first_sealed = session.scalar(select(OutboxMessage.sealed).where(OutboxMessage.id == first))
        session.execute(update(OutboxMessage).where(OutboxMessage.id == second).values(sealed=first_sealed))
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == first).values(recipient="evil@example.org")
        )
        session.commit()
    with SmtpServer() as server:
        report = deliver_outbox(ctx, _sender(server.port), clock.now())
    assert server.inbox.messages == [] and sorted(report.retried) == [first, second]
    assert all("cannot decrypt" in (_row(ctx, row_id).last_error or "") for row_id in (first, second))


def test_a_message_emptied_by_the_purge_is_not_sent(ctx, clock):
    first, _second = _queue_two(ctx)
    with ctx.unit_of_work() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == first).values(sealed=None))
        session.commit()
    with SmtpServer() as server:
        report = deliver_outbox(ctx, _sender(server.port), clock.now())
    assert report.dead == [first] and len(report.sent) == 1 and len(server.inbox.messages) == 1
    assert "content removed" in (_row(ctx, first).last_error or "")
    assert "Text für second" in _received_body(server)


def test_the_deliverer_tries_again_later_after_a_failed_decryption(ctx, clock):
    _queue_two(ctx)
    port = free_port()
    with ctx.unit_of_work() as session:
        session.execute(update(OutboxMessage).values(recipient="evil@example.org"))
        session.commit()
    report = deliver_outbox(ctx, _sender(port), clock.now(), max_attempts=2)
    again = deliver_outbox(ctx, _sender(port), clock.now() + timedelta(hours=3), max_attempts=2)
    assert len(report.retried) == 2 and len(again.dead) == 2  # dead after the last attempt, still sealed
    assert all(row.sealed is not None for row in (_row(ctx, row_id) for row_id in again.dead))
