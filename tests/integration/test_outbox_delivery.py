"""Outbox delivery against a real local SMTP server: delivery, retry, dead letters, no duplicates."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.kernel import outbox
from engine.kernel.outbox import absolute_links, dead_letters, deliver_outbox, retry_delay
from engine.kernel.settings import SmtpSettings
from engine.staff.accounts import add_staff
from engine.store.tables import OutboxMessage
from integrations.smtp_mail import SmtpMailSender
from tests.smtp_server import SmtpServer, free_port, self_signed_tls

PASSWORD = "ein-gutes-passwort"


def _queue(ctx, count: int = 1, recipient: str = "staff:anna", prefix: str = "test") -> None:
    with ctx.unit_of_work() as session:
        for number in range(count):
            outbox.enqueue(
                session,
                ctx.clock.now(),
                dedupe_key=f"{prefix}:{number}",
                kind="reminder",
                recipient=recipient,
                subject=f"Lotse: Frist in Fall 2026-{number:05d}",
                body=f"Bitte in Lotse öffnen: /faelle/{number}",
            )
        session.commit()


def _rows(ctx) -> list[OutboxMessage]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _sender(port: int) -> SmtpMailSender:
    return SmtpMailSender(SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=5))


@pytest.fixture
def staff(ctx):
    add_staff(ctx, "test", "anna", "Anna", PASSWORD, ["beratung"], "anna@example.org")
    add_staff(ctx, "test", "ben", "Ben", PASSWORD, ["beratung"], "ben@example.org")
    add_staff(ctx, "test", "tara", "Tara", PASSWORD, ["teamleitung"], "tara@example.org")
    add_staff(ctx, "test", "nomail", "Ohne Adresse", PASSWORD, ["beratung"])
    return ctx


def test_delivers_to_staff_and_groups_once(staff, clock):
    ctx = staff
    _queue(ctx, 1, "staff:anna", "one")
    _queue(ctx, 1, "group:beratung", "group")
    with SmtpServer() as server:
        report = deliver_outbox(ctx, _sender(server.port), clock.now(), base_url="https://lotse.example/")
        again = deliver_outbox(ctx, _sender(server.port), clock.now() + timedelta(hours=1))
    assert len(report.sent) == 2 and not report.retried and not report.dead
    assert again.sent == [] and len(server.inbox.messages) == 2
    recipients = sorted(tuple(sorted(rcpt)) for _sender_address, rcpt in server.inbox.envelopes)
    assert recipients == [("anna@example.org",), ("anna@example.org", "ben@example.org")]
    assert server.inbox.messages[0]["Message-ID"] == "<one.0@lotse.invalid>"
    body = server.inbox.messages[0].get_payload(decode=True).decode()
    assert "Bitte in Lotse öffnen: https://lotse.example/faelle/0" in body
    assert all(
        row.status == "sent" and row.sent_at == clock.now() and row.attempts == 1 for row in _rows(ctx)
    )


def test_starttls_and_login(staff, clock, tmp_path):
    server_tls, client_tls = self_signed_tls(tmp_path)
    _queue(staff, 1)
    settings = SmtpSettings("127.0.0.1", free_port(), True, "lotse", "geheim-genug", "lotse@example.org", 5)
    with SmtpServer(settings.port, tls=server_tls, login=("lotse", "geheim-genug")) as server:
        report = deliver_outbox(staff, SmtpMailSender(settings, client_tls), clock.now())
        plain = SmtpSettings("127.0.0.1", settings.port, False, None, None, "lotse@example.org", 5)
        _queue(staff, 1, prefix="plain")
        refused = deliver_outbox(staff, SmtpMailSender(plain), clock.now())
    assert len(report.sent) == 1 and server.inbox.messages[0]["From"] == "lotse@example.org"
    # a server that demands STARTTLS refuses the plain conversation: the message is not lost, it waits
    assert refused.sent == [] and len(refused.retried) == 1 and len(server.inbox.messages) == 1


def test_retry_after_refused_connection_with_backoff(staff, clock):
    port = free_port()  # nothing listens here yet
    _queue(staff, 1)
    first = deliver_outbox(staff, _sender(port), clock.now())
    (row,) = _rows(staff)
    assert first.retried == [row.id] and row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == clock.now() + retry_delay(1) and "Connection" in (row.last_error or "")
    with SmtpServer(port) as server:
        early = deliver_outbox(staff, _sender(port), clock.now() + retry_delay(1) - timedelta(seconds=1))
        assert early.sent == [] and server.inbox.messages == []
        later = deliver_outbox(staff, _sender(port), clock.now() + retry_delay(1))
    (row,) = _rows(staff)
    assert later.sent == [row.id] and row.status == "sent" and row.attempts == 2
    assert len(server.inbox.messages) == 1


def test_dead_letter_after_n_failures(staff, clock):
    port = free_port()
    _queue(staff, 1)
    at = clock.now()
    for attempt in range(1, 4):
        report = deliver_outbox(staff, _sender(port), at, max_attempts=3)
        assert (report.dead if attempt == 3 else report.retried) != []
        at += retry_delay(attempt)
    (row,) = _rows(staff)
    assert row.status == "dead" and row.attempts == 3
    assert deliver_outbox(staff, _sender(port), at + timedelta(days=1), max_attempts=3).dead == []
    (letter,) = dead_letters(staff)
    assert (letter.id, letter.recipient, letter.attempts) == (row.id, "staff:anna", 3)
    assert "Connection" in (letter.last_error or "")


def test_no_address_is_a_dead_letter_at_once(staff, clock):
    _queue(staff, 1, "staff:nomail")
    with SmtpServer() as server:
        report = deliver_outbox(staff, _sender(server.port), clock.now())
    assert len(report.dead) == 1 and server.inbox.messages == []
    assert "no e-mail address" in dead_letters(staff)[0].last_error


def test_two_deliverers_overlapping_send_each_message_once(staff, clock):
    _queue(staff, 12)
    barrier = threading.Barrier(2)
    reports = []
    with SmtpServer(delay=0.05) as server:

        def deliverer() -> None:
            barrier.wait()
            reports.append(deliver_outbox(staff, _sender(server.port), clock.now()))

        threads = [threading.Thread(target=deliverer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    ids = server.inbox.message_ids()
    assert len(ids) == 12 and len(set(ids)) == 12
    assert sum(len(report.sent) for report in reports) == 12
    assert sum(report.skipped for report in reports) >= 1  # they really did overlap
    assert all(row.status == "sent" and row.attempts == 1 for row in _rows(staff))


def test_absolute_links_only_for_paths():
    body = "Fall 1: /faelle/1\nschon fertig: https://x.example/faelle/2"
    assert absolute_links(body, "https://lotse.example") == (
        "Fall 1: https://lotse.example/faelle/1\nschon fertig: https://x.example/faelle/2"
    )
    assert absolute_links(body, "") == body
