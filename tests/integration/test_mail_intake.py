"""E-mail intake from a real Dovecot: new mail to triage, replies onto their case, hostile and broken
messages handled, and every message taken exactly once when runs overlap or one is killed."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from engine.cases.lifecycle import claim_task, open_case
from engine.channels.mail_intake import Limits, open_document, take_mail
from engine.kernel.outbox import enqueue
from engine.kernel.settings import ImapSettings
from engine.store.channel_tables import InboundMessage
from engine.store.tables import Task
from integrations.imap_mail import ImapMailbox
from tests.conftest import COUNSELLOR, ROOT
from tests.steps import open_tasks


def _settings(server) -> ImapSettings:
    return ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )


def _run(ctx, server, limits: Limits | None = None):
    with ImapMailbox(_settings(server), "INBOX") as mailbox:
        return take_mail(ctx, mailbox, limits=limits or Limits())


def _mail(subject: str = "Bedrohung", body: str = "Ich werde bedroht.", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Maria Muster <maria@example.org>"
    message["To"] = "info@starkestelle.de"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def _rows(ctx) -> list[InboundMessage]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.uid)))


def test_new_mail_goes_to_triage_sealed_and_is_taken_once(ctx, dovecot):
    dovecot.append(_mail(Message_ID="<neu-1@example.org>"))
    report = _run(ctx, dovecot)
    assert (len(report.taken), report.to_triage, report.to_cases) == (1, 1, 0)
    [row] = _rows(ctx)
    assert row.status == "triage" and row.case_id is None and len(row.sha256) == 64
    assert b"maria@example.org" not in row.sealed and b"bedroht" not in row.sealed_raw
    document = open_document(ctx, row)
    assert document["from"] == "Maria Muster <maria@example.org>" and "bedroht" in document["text"]
    assert dovecot.flagged() == 1
    again = _run(ctx, dovecot)
    assert again.taken == [] and again.already_taken == 0 and len(_rows(ctx)) == 1


def test_reply_to_a_sent_message_and_subject_token_land_on_the_right_case(deployed, dovecot):
    ctx = deployed
    first = open_case(ctx, COUNSELLOR, {"kontaktkanal": "email"})
    second = open_case(ctx, COUNSELLOR, {"kontaktkanal": "email"})
    [intake] = open_tasks(ctx, first.case_id).values()
    claim_task(ctx, COUNSELLOR, intake.id)  # the first case's step is anna's, the second's her group's
    with ctx.unit_of_work() as session:
        enqueue(
            session, ctx.clock.now(), dedupe_key=f"antwort:{first.case_id}:1", kind="antwort",
            recipient="maria@example.org", subject="Ihre Anfrage", body="Guten Tag", case_id=first.case_id,
        )  # fmt: skip
        session.commit()
    reply = _mail(
        "Re: Ihre Anfrage",
        "Danke!",
        Message_ID="<antwort-a@example.org>",
        In_Reply_To=f"<antwort.{first.case_id}.1@lotse.invalid>",
    )
    token = _mail(f"Nachtrag [Lotse {second.reference}]", "Noch etwas.", Message_ID="<token-b@example.org>")
    stranger = _mail("Re: etwas anderes", "?", Message_ID="<c@example.org>", In_Reply_To="<unknown@x.org>")
    dovecot.append(reply, token, stranger)

    report = _run(ctx, dovecot)

    assert (report.to_cases, report.to_triage) == (2, 1)
    rows = _rows(ctx)
    assert [(r.case_id, r.matched_by, r.status) for r in rows] == [
        (first.case_id, "thread", "case"),
        (second.case_id, "token", "case"),
        (None, None, "triage"),
    ]
    with ctx.unit_of_work(writes=False) as session:
        tasks = session.execute(
            select(Task.case_id, Task.title, Task.assignee, Task.candidate_group).where(
                Task.element_id == "neue_nachricht"
            )
        ).all()
    assert sorted(tasks) == [
        (first.case_id, "Neue Nachricht", COUNSELLOR.username, "beratung"),
        (second.case_id, "Neue Nachricht", None, "beratung"),
    ]


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nullen.bin", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def _hostile_messages() -> list[bytes]:
    html = EmailMessage()
    html["Subject"], html["Message-ID"] = "Bild", "<html-1@example.org>"
    html.set_content(
        '<p onclick="steal()">Hallo<script>alert(1)</script><img src="https://tracker.example/p.gif">'
        '<a href="javascript:alert(2)">x</a></p>',
        subtype="html",
    )
    bomb = EmailMessage()
    bomb["Subject"], bomb["Message-ID"] = "Beweise", "<bomb-1@example.org>"
    bomb.set_content("Anbei.")
    bomb.add_attachment(_zip_bomb(), maintype="application", subtype="zip", filename="beweise.zip")
    malformed = (
        b'Message-ID: <broken-1@example.org>\r\nContent-Type: multipart/mixed; boundary="nie"\r\n'
        b"Subject: =?utf-8?B?kaputt\r\n\r\n--nie\r\nContent-Type: text/plain; charset=klingon\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n"
    )
    wrong_charset = (
        b"Message-ID: <charset-1@example.org>\r\nSubject: Gr\xfc\xdfe\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nK\xf6ln ist sch\xf6n\r\n"
    )
    huge = _mail("Riesig", "x" * (30 * 1024 * 1024), Message_ID="<huge-1@example.org>")
    return [html.as_bytes(), bomb.as_bytes(), malformed, wrong_charset, huge]


def test_hostile_and_broken_messages_are_handled_and_the_mailbox_moves_on(ctx, dovecot):
    dovecot.append(*_hostile_messages())
    _write_empty_message(dovecot)
    dovecot.append(_mail("Danach", Message_ID="<after-1@example.org>"))

    report = _run(ctx, dovecot)

    rows = _rows(ctx)
    assert len(report.taken) == len(rows) == 7 and report.refused == 1
    html, bomb, malformed, charset, huge, empty, after = rows
    assert (
        "<script" not in open_document(ctx, html)["html"]
        and "alert(1)" not in open_document(ctx, html)["html"]
    )
    assert (
        "<img" not in open_document(ctx, html)["html"] and "onclick" not in open_document(ctx, html)["html"]
    )
    assert (
        "javascript:" not in open_document(ctx, html)["html"] and "Hallo" in open_document(ctx, html)["html"]
    )
    assert (
        bomb.attachment_count == 1 and open_document(ctx, bomb)["attachments"][0]["filename"] == "beweise.zip"
    )
    assert malformed.status == "triage" and isinstance(open_document(ctx, malformed)["text"], str)
    assert "ln ist sch" in open_document(ctx, charset)["text"]
    assert (huge.status, huge.refusal, huge.sealed, huge.sealed_raw) == ("refused", "too_large", None, None)
    assert empty.size == 0 and empty.status == "triage"
    assert after.status == "triage" and dovecot.flagged() == 7
    assert _run(ctx, dovecot).taken == []


def _write_empty_message(server) -> None:
    """IMAP APPEND refuses an empty literal, so a 0-byte message is delivered into the Maildir as an MDA would."""
    maildir = server.maildir
    target = maildir / "new" / f"{time.time_ns()}.empty.lotse"
    target.write_bytes(b"")
    shutil.chown(target, user=maildir.owner(), group=maildir.group())
    client = server.client()
    client.select("INBOX")  # Dovecot gives it its UID now, before the next APPEND
    client.logout()


KILLABLE = """
import sys
from engine.channels.mail_intake import take_mail
from engine.kernel.settings import ImapSettings
from integrations.imap_mail import ImapMailbox
from tests.conftest import make_context
from engine.kernel.clock import ManualClock
from datetime import datetime, timezone
ctx = make_context(sys.argv[1], ManualClock(datetime(2026, 3, 2, 10, tzinfo=timezone.utc)))
settings = ImapSettings(host="127.0.0.1", port=int(sys.argv[2]), tls=False, user=sys.argv[3], password=sys.argv[4])
with ImapMailbox(settings, "INBOX") as mailbox:
    take_mail(ctx, mailbox)
"""

MESSAGES = 500


def test_500_messages_two_overlapping_runs_and_a_killed_one_take_each_exactly_once(
    ctx, dovecot, database_url
):
    dovecot.append(
        *[_mail(f"Nachricht {n}", f"Text {n}", Message_ID=f"<m{n}@example.org>") for n in range(MESSAGES)]
    )
    killed = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, database_url, str(dovecot.port), dovecot.user, dovecot.password],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 120
    while len(_rows(ctx)) < 20 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(killed.pid, signal.SIGKILL)
    assert killed.wait(30) == -signal.SIGKILL
    at_kill = len(_rows(ctx))
    assert 20 <= at_kill < MESSAGES, "the run must have been killed half-way"

    errors: list[BaseException] = []

    def overlapping() -> None:
        try:
            _run(ctx, dovecot)
        except BaseException as error:
            errors.append(error)

    runners = [threading.Thread(target=overlapping) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(300)
    assert errors == []
    _run(ctx, dovecot)

    with ctx.unit_of_work(writes=False) as session:
        total = session.scalar(select(func.count()).select_from(InboundMessage))
        distinct = session.scalar(select(func.count(func.distinct(InboundMessage.uid))))
    assert (total, distinct) == (MESSAGES, MESSAGES)  # 0 duplicates, 0 lost
    assert sorted(r.uid for r in _rows(ctx)) == list(range(1, MESSAGES + 1))


def test_triage_open_a_case_add_to_a_case_or_discard_with_a_reason(deployed, dovecot):
    from engine.channels.triage import (
        TriageRefused,
        add_message_to_case,
        discard_message,
        open_case_from_message,
        purge_discarded,
        read_message,
        triage_queue,
    )
    from tests.conftest import OTHER_COUNSELLOR

    ctx = deployed
    dovecot.append(*[_mail(f"Anfrage {n}", Message_ID=f"<t{n}@example.org>") for n in range(3)])
    _run(ctx, dovecot)
    first, second, third = triage_queue(ctx, COUNSELLOR)
    assert first.subject == "Anfrage 0" and first.sender == "Maria Muster <maria@example.org>"

    opened = open_case_from_message(ctx, COUNSELLOR, first.id)
    with pytest.raises(TriageRefused):  # a colleague who was a moment too late
        open_case_from_message(ctx, OTHER_COUNSELLOR, first.id)
    assert read_message(ctx, COUNSELLOR, first.id).case_id == opened.case_id

    assert add_message_to_case(ctx, COUNSELLOR, second.id, opened.reference) == opened.case_id
    with pytest.raises(TriageRefused) as blank:
        discard_message(ctx, COUNSELLOR, third.id, "   ")
    assert blank.value.field == "reason"
    discard_message(ctx, COUNSELLOR, third.id, "Werbung")
    assert triage_queue(ctx, COUNSELLOR) == []
    assert purge_discarded(ctx, ctx.clock.now()) == 0
    assert purge_discarded(ctx, ctx.clock.now() + timedelta(days=31)) == 1
    statuses = [(r.status, r.case_id) for r in _rows(ctx)]
    assert statuses == [("case", opened.case_id), ("case", opened.case_id)]
