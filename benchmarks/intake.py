"""``lotse bench intake``: 1,000 messages in a Dovecot mailbox taken into intake tasks, messages per second,
against fetching and parsing the same messages with the IMAP client alone in the same run (bar: >= 50 %)."""

from __future__ import annotations

import email
import imaplib
import tempfile
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import func, select

from benchmarks.dovecot_server import running_dovecot
from engine.calendar.business_calendar import BusinessCalendar
from engine.channels.mail_intake import take_mail
from engine.kernel.clock import ManualClock
from engine.kernel.context import build_context
from engine.kernel.settings import ImapSettings
from engine.store import schema
from engine.store.channel_tables import InboundMessage
from engine.store.vault import Vault
from integrations.imap_mail import ImapMailbox

BAR = 0.5


def _message(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Person {n} <person{n}@example.org>"
    message["To"] = "info@starkestelle.de"
    message["Subject"] = f"Anfrage {n}"
    message["Message-ID"] = f"<bench-{n}@example.org>"
    message.set_content(f"Nachricht {n}: " + "Ich werde bedroht. " * 40)
    return message.as_bytes()


def _baseline(server, per_command: int = 1) -> float:
    """Fetch and parse every message with imaplib and the stdlib parser alone; messages per second.

    ``per_command`` 1 is the bar's baseline (a client fetching message by message); more fetches that
    many UIDs per command, as the intake does, for comparison only."""
    client = imaplib.IMAP4(server.host, server.port)
    client.login(server.user, server.password)
    client.select("INBOX", readonly=True)
    start = perf_counter()
    _, data = client.uid("SEARCH", "ALL")
    uids = data[0].split()
    for first in range(0, len(uids), per_command):
        _, fetched = client.uid("FETCH", b",".join(uids[first : first + per_command]), "(BODY.PEEK[])")
        for part in fetched:
            if isinstance(part, tuple):
                parsed = email.message_from_bytes(part[1], policy=policy.default)
                parsed.get_body(preferencelist=("plain", "html"))
    elapsed = perf_counter() - start
    client.logout()
    return len(uids) / elapsed


def run(messages: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, running_dovecot() as server:
        for start in range(0, messages, 100):
            server.append(*[_message(n) for n in range(start, min(start + 100, messages))])
        baseline = _baseline(server)
        batched = _baseline(server, per_command=50)
        ctx = build_context(
            f"sqlite:///{Path(folder) / 'bench.db'}",
            Vault({"bench": b"b" * 32}, "bench"),
            BusinessCalendar(land="NW"),
            ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)),
        )
        schema.upgrade(ctx.db)
        settings = ImapSettings(
            host=server.host, port=server.port, tls=False, user=server.user, password=server.password
        )
        start = perf_counter()
        with ImapMailbox(settings, "INBOX") as mailbox:
            report = take_mail(ctx, mailbox)
        lotse = len(report.taken) / (perf_counter() - start)
        with ctx.unit_of_work(writes=False) as session:
            stored = session.scalar(select(func.count()).select_from(InboundMessage))
            distinct = session.scalar(select(func.count(func.distinct(InboundMessage.uid))))
        ctx.db.dispose()
    ratio = lotse / baseline
    duplicates, lost = stored - distinct, messages - distinct
    return {
        "messages": messages,
        "baseline_fetch_parse_per_s": round(baseline, 1),
        "baseline_batched_fetch_parse_per_s": round(batched, 1),  # 50 UIDs per FETCH; not the bar's
        "lotse_intake_per_s": round(lotse, 1),
        "ratio": round(ratio, 3),
        "ratio_to_batched_baseline": round(lotse / batched, 3),
        "bar": BAR,
        "passes": ratio >= BAR,
        "stored": stored,
        "duplicates": duplicates,
        "lost": lost,
        "database": "sqlite",
        "bars": {
            "intake_vs_fetch_parse": {"value": round(ratio, 3), "limit": BAR, "ok": ratio >= BAR},
            "duplicates": {"value": duplicates, "limit": 0, "ok": duplicates == 0},
            "lost": {"value": lost, "limit": 0, "ok": lost == 0},
        },
    }
