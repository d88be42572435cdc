"""Taking e-mail from an IMAP mailbox exactly once: onto the case it answers, or into triage.

Messages are stored in small batches, each in one transaction together with the mailbox's high-water mark; the row is
unique by its place (mailbox, UIDVALIDITY, UID) and by an idempotency key (the Message-ID, or the raw
message's SHA-256). Two runs at once both try a message and one of them finds it taken; a run killed
mid-way leaves every stored message and the mark that goes with it, and the next run resumes after it.
A run stops at the first message it could not store, so the mark never passes a message nobody took.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.channels.attachments import attachments_to_evidence
from engine.channels.conversation import case_of_reply, note_new_message, referral_of_reply
from engine.channels.mail_reading import ReadMail, read_mail
from engine.channels.message_events import deliver_new_message
from engine.channels.sealed_message import content_binding, raw_binding
from engine.channels.sealed_message import open_document as open_document  # where callers found it
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.store.channel_tables import InboundMessage, MailboxMark

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_ATTACHMENTS = 20
BATCH = 50  # messages per transaction (a batch is stored whole or, when it collides, one by one)
BATCH_BYTES = 8 * 1024 * 1024  # and at most this much fetched in one IMAP command
ACTOR = "system:mail-intake"
PERSON_MATCHES = ("thread", "token")  # how a reply of the person finds its case


class MailboxReader(Protocol):
    """The port an IMAP adapter implements (``integrations.imap_mail``)."""

    name: str  # host, user and folder: what the high-water mark is kept under

    def open(self) -> int:
        """Select the folder; returns its UIDVALIDITY."""

    def pending(self, after_uid: int) -> list[tuple[int, int]]:
        """(UID, size in bytes) of every message above ``after_uid``, ascending."""

    def fetch_many(self, uids: list[int]) -> dict[int, bytes]:
        """The raw messages by UID, in one round trip (a UID gone meanwhile is missing or empty)."""

    def mark_taken(self, uids: list[int]) -> None:
        """Flag the messages as taken by Lotse (the mark is what counts; the flag is for people)."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_attachments: int = DEFAULT_MAX_ATTACHMENTS


@dataclass
class IntakeReport:
    taken: list[int] = field(default_factory=list)  # inbound message ids
    to_cases: int = 0
    to_triage: int = 0
    refused: int = 0
    already_taken: int = 0


def take_mail(
    ctx: EngineContext, reader: MailboxReader, now: datetime | None = None, limits: Limits = Limits()
) -> IntakeReport:
    """Take every new message of one mailbox."""
    now = now or ctx.clock.now()
    report = IntakeReport()
    uid_validity = reader.open()
    after = _mark(ctx, reader.name, uid_validity)
    taken_uids: list[int] = []
    replies: list[int] = []  # the cases a reply of the person landed on, once per reply
    for chunk in _chunks(reader.pending(after), limits.max_bytes):
        fetched = reader.fetch_many([uid for uid, size in chunk if size <= limits.max_bytes])
        arrivals = [
            (uid, _refusal(reader.name, uid_validity, uid, size) if size > limits.max_bytes
             else _arrival(fetched.get(uid, b""), limits))
            for uid, size in chunk
        ]  # fmt: skip
        for uid, stored in _store_batch(ctx, reader.name, uid_validity, arrivals, now):
            if stored is None:
                report.already_taken += 1
                continue
            taken_uids.append(uid)
            report.taken.append(stored.id)
            report.refused += stored.status == "refused"
            report.to_cases += stored.status == "case"
            report.to_triage += stored.status == "triage"
            if stored.case_id is not None and stored.from_person and stored.status == "case":
                replies.append(stored.case_id)
    if taken_uids:
        reader.mark_taken(taken_uids)
    for case_id in replies:
        deliver_new_message(ctx, case_id, "email", now)
    return report


def _chunks(pending: list[tuple[int, int]], max_bytes: int) -> list[list[tuple[int, int]]]:
    """The pending messages in batches of at most ``BATCH`` messages and ``BATCH_BYTES`` to fetch."""
    chunks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    weight = 0
    for uid, size in pending:
        size_to_fetch = size if size <= max_bytes else 0
        if current and (len(current) >= BATCH or weight + size_to_fetch > BATCH_BYTES):
            chunks.append(current)
            current, weight = [], 0
        current.append((uid, size))
        weight += size_to_fetch
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True)
class _Arrival:
    key: str
    size: int
    raw: bytes | None
    mail: ReadMail | None
    refusal: str | None


@dataclass(frozen=True)
class _Stored:
    id: int
    status: str
    case_id: int | None = None
    from_person: bool = False  # a reply of the person on the case (not a referral partner's answer)


def idempotency_key(raw: bytes, message_id: str | None) -> str:
    basis = b"mid:" + message_id.encode("utf-8", "replace") if message_id else b"raw:" + raw
    return hashlib.sha256(basis).hexdigest()


def _arrival(raw: bytes, limits: Limits) -> _Arrival:
    mail = read_mail(raw)
    key = idempotency_key(raw, mail.message_id)
    if len(raw) > limits.max_bytes:
        return _Arrival(key, len(raw), None, None, "too_large")
    if len(mail.attachments) > limits.max_attachments:
        return _Arrival(key, len(raw), None, None, "too_many_attachments")
    return _Arrival(key, len(raw), raw, mail, None)


def _refusal(mailbox: str, uid_validity: int, uid: int, size: int) -> _Arrival:
    """A message too large to download: refused by its size alone, keyed by its place."""
    key = hashlib.sha256(f"place:{mailbox}:{uid_validity}:{uid}".encode()).hexdigest()
    return _Arrival(key, size, None, None, "too_large")


def _store_batch(
    ctx: EngineContext, mailbox: str, uid_validity: int, arrivals: list[tuple[int, _Arrival]], now: datetime
) -> list[tuple[int, _Stored | None]]:
    """Store a batch in one transaction with the mark at its last UID; if any of it was taken meanwhile,
    message by message instead (each with its own transaction), so nothing is stored twice."""
    try:
        with ctx.unit_of_work() as session:
            stored = _insert_all(ctx, session, mailbox, uid_validity, arrivals, now)
            _advance(session, mailbox, arrivals[-1][0])
            session.commit()
            return stored
    except IntegrityError:
        return [(uid, _store(ctx, mailbox, uid_validity, uid, arrival, now)) for uid, arrival in arrivals]


def _store(
    ctx: EngineContext, mailbox: str, uid_validity: int, uid: int, arrival: _Arrival, now: datetime
) -> _Stored | None:
    """Store one message and move the mark in one transaction; None when someone took it already."""
    try:
        with ctx.unit_of_work() as session:
            stored = _insert(ctx, session, mailbox, uid_validity, uid, arrival, now)
            _advance(session, mailbox, uid)
            session.commit()
            return stored
    except IntegrityError:
        with ctx.unit_of_work() as session:
            _advance(session, mailbox, uid)
            session.commit()
        return None


def _insert(
    ctx: EngineContext,
    session: Session,
    mailbox: str,
    uid_validity: int,
    uid: int,
    arrival: _Arrival,
    now: datetime,
) -> _Stored:
    return _insert_all(ctx, session, mailbox, uid_validity, [(uid, arrival)], now)[0][1]


def _insert_all(
    ctx: EngineContext,
    session: Session,
    mailbox: str,
    uid_validity: int,
    arrivals: list[tuple[int, _Arrival]],
    now: datetime,
) -> list[tuple[int, _Stored]]:
    """Insert the messages in one statement, then their Neue Nachricht tasks, the attachments of the
    person's replies as evidence of their case, and the audit events."""
    rows = [_values(ctx, session, mailbox, uid_validity, uid, arrival, now) for uid, arrival in arrivals]
    ids = (
        session.execute(
            insert(InboundMessage).returning(InboundMessage.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    for message_id, row in zip(ids, rows, strict=True):
        if row["case_id"] is not None:
            note_new_message(session, row["case_id"], message_id, now)
        if row["matched_by"] in PERSON_MATCHES and row["attachment_count"]:
            # the person's files on a message that found its case: evidence of it (not the raw mail: every
            # reply would be one; it stays with the message, sealed with its SHA-256)
            attachments_to_evidence(ctx, session, message_id, row["case_id"], now, with_raw=False)
    audit.record_many(session, now, ACTOR, "message_received", [(r["case_id"], r["status"]) for r in rows])
    return [
        (uid, _Stored(int(i), row["status"], row["case_id"], row["matched_by"] in PERSON_MATCHES))
        for (uid, _), i, row in zip(arrivals, ids, rows, strict=True)
    ]


def _values(
    ctx: EngineContext,
    session: Session,
    mailbox: str,
    uid_validity: int,
    uid: int,
    arrival: _Arrival,
    now: datetime,
) -> dict:
    mail = arrival.mail
    answered = referral_of_reply(session, mail) if mail is not None else None
    case_id, matched_by = (
        case_of_reply(session, mail) if mail is not None and answered is None else (None, None)
    )
    if answered is not None:
        (case_id, referral_id), matched_by = answered, "referral"
    else:
        referral_id = None
    status = "refused" if arrival.refusal else "case" if case_id is not None else "triage"
    return {
        "channel": "email",
        "mailbox": mailbox,
        "uid_validity": uid_validity,
        "uid": uid,
        "idempotency_key": arrival.key,
        "received_at": now,
        "size": arrival.size,
        "sha256": hashlib.sha256(arrival.raw).hexdigest() if arrival.raw is not None else None,
        "status": status,
        "case_id": case_id,
        "matched_by": matched_by,
        "referral_id": referral_id,
        "refusal": arrival.refusal,
        "attachment_count": len(mail.attachments) if mail is not None else 0,
        "sealed": _seal_document(ctx, arrival) if mail is not None else None,
        "sealed_raw": ctx.vault.seal(arrival.raw, raw_binding(arrival.key))
        if arrival.raw is not None
        else None,
        "handled_at": None,
        "handled_by": None,
        "discard_reason": None,
    }


def _seal_document(ctx: EngineContext, arrival: _Arrival) -> bytes:
    assert arrival.mail is not None
    document = arrival.mail.document()
    document["attachment_data"] = [a.data.hex() for a in arrival.mail.attachments]
    return ctx.vault.seal(json.dumps(document).encode(), content_binding(arrival.key))


def _mark(ctx: EngineContext, mailbox: str, uid_validity: int) -> int:
    """The highest UID taken from this mailbox; a new UIDVALIDITY starts over (the keys stop repeats)."""
    with ctx.unit_of_work() as session:
        row = session.get(MailboxMark, mailbox)
        if row is not None and row.uid_validity == uid_validity:
            return int(row.last_uid)
        try:
            if row is None:
                session.execute(
                    insert(MailboxMark).values(mailbox=mailbox, uid_validity=uid_validity, last_uid=0)
                )
            else:
                session.execute(
                    update(MailboxMark)
                    .where(MailboxMark.mailbox == mailbox)
                    .values(uid_validity=uid_validity, last_uid=0)
                )
            session.commit()
        except IntegrityError:
            session.rollback()
            found = session.scalar(select(MailboxMark.last_uid).where(MailboxMark.mailbox == mailbox))
            return int(found or 0)
    return 0


def _advance(session: Session, mailbox: str, uid: int) -> None:
    session.execute(
        update(MailboxMark)
        .where(MailboxMark.mailbox == mailbox, MailboxMark.last_uid < uid)
        .values(last_uid=uid)
    )
