"""Messages to send after commit: written in the use case's transaction, delivered by a scheduled job.

Delivery claims one message at a time with a conditional update (attempts and due time as they were
read), so two deliverers never send the same message; the claim is a lease that runs out if the
deliverer dies, and the message is then tried again (if it died after the mail server took the message
but before recording it, the receiver sees the same ``Message-ID`` twice). After ``max_attempts``
failures a message is dead: it stays in the table for the administrators' dead-letter list.

Subject and body are sealed with the vault when queued (``engine.kernel.message_content``), opened only
here, just before the mail is handed over, and removed once it was: a sent message keeps its delivery
record (kind, recipient, Message-ID, times, attempts, last error) and nothing of what it said. A message
that waits for a retry or is dead keeps its sealed content.

Recipients stay in clear: the deliverer needs them before it opens anything, the administrators' list
names them, and they are staff (``staff:NAME``, ``group:ROLE``) or a support service's published address
from the directory, never the person's own; which service a case was referred to is recorded in clear
with the referral anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.kernel.context import EngineContext
from engine.kernel.message_content import MessageContent, open_content, seal_content, session_vault
from engine.store.tables import Case, OutboxMessage, Staff
from engine.store.vault import VaultError

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=5)  # longer than any SMTP conversation (the adapter's timeout is shorter)
BATCH = 100


def enqueue(
    session: Session,
    at: datetime,
    *,
    dedupe_key: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    case_id: int | None = None,
    to: str = "",
    in_reply_to: str = "",
) -> bool:
    """Add a message unless one with the same dedupe key exists; True if added.

    ``to`` (with recipient ``person:CASE``) is a person's address, sealed with the content, never in clear.

    Its subject and body are sealed with the vault of the session's unit of work, bound to the new row.
    """
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return False
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        kind=kind,
        recipient=recipient,
        sealed=None,
        case_id=case_id,
        status="pending",
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(message)
    session.flush()  # the row id is part of the binding
    content = MessageContent(subject, body, to, in_reply_to)
    message.sealed = seal_content(session_vault(session), message.id, recipient, content)
    session.flush()
    return True


# -- the port the mail adapter implements -------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One e-mail to hand to the mail server; ``message_id`` is stable across retries."""

    message_id: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    in_reply_to: str = ""  # threading: the Message-ID this answers (also sent as References)


class DeliveryFailed(Exception):
    """The mail server did not take the message; ``permanent`` if trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class MailSender(Protocol):
    def send(self, mail: Mail) -> None:
        """Hand the mail over or raise DeliveryFailed."""


# -- delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    skipped: int = 0  # claimed by another deliverer meanwhile


@dataclass(frozen=True)
class _Claim:
    id: int
    attempt: int
    dedupe_key: str
    recipient: str
    sealed: bytes | None


def retry_delay(attempt: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4, … minutes, at most two hours."""
    return min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_RETRY)


def deliver_outbox(
    ctx: EngineContext,
    sender: MailSender,
    now: datetime | None = None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int = BATCH,
    mail_domain: str = "lotse.invalid",
    base_url: str = "",
) -> DeliveryReport:
    """Send the messages that are due; safe while another deliverer runs.

    Messages name pages by their path (``/faelle/12``); ``base_url`` makes those links absolute.
    """
    now = now or ctx.clock.now()
    report = DeliveryReport()
    with ctx.unit_of_work(writes=False) as session:
        due = session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()
    for message_id, attempts in due:
        claim = _claim(ctx, message_id, attempts, now)
        if claim is None:
            report.skipped += 1
            continue
        recipients = (
            _person_address(ctx, claim)
            if claim.recipient.startswith("person:")
            else _addresses(ctx, claim.recipient)
        )
        if not recipients:
            _settle(
                ctx, claim, now, "dead", "Keine E-Mail-Adresse für / no e-mail address for " + claim.recipient
            )
            report.dead.append(claim.id)
            continue
        try:
            content = _opened(ctx, claim)
            mail = Mail(
                f"<{claim.dedupe_key.replace(':', '.')}@{mail_domain}>",
                recipients,
                content.subject,
                absolute_links(content.body, base_url),
                content.in_reply_to,
            )
            sender.send(mail)
        except DeliveryFailed as failure:
            final = failure.permanent or claim.attempt >= max_attempts
            _settle(ctx, claim, now, "dead" if final else "pending", str(failure))
            (report.dead if final else report.retried).append(claim.id)
            continue
        _settle(ctx, claim, now, "sent", None)
        report.sent.append(claim.id)
    return report


_PAGE_PATH = re.compile(r"(?<![\w/:.])/faelle/")


def absolute_links(body: str, base_url: str) -> str:
    """``/faelle/…`` paths in a message body as links to this Lotse installation."""
    return _PAGE_PATH.sub(f"{base_url.rstrip('/')}/faelle/", body) if base_url else body


def _opened(ctx: EngineContext, claim: _Claim) -> MessageContent:
    """The clear content, for this attempt only; a content that cannot be opened is a failed attempt."""
    if claim.sealed is None:
        raise DeliveryFailed("Inhalt gelöscht / content removed (retention purge)", permanent=True)
    try:
        return open_content(ctx.vault, claim.id, claim.recipient, claim.sealed)
    except VaultError as error:  # a key missing from the keyring: retried, dead after the last attempt
        raise DeliveryFailed(f"Entschlüsselung fehlgeschlagen / cannot decrypt: {error}") from error


def _claim(ctx: EngineContext, message_id: int, attempts: int, now: datetime) -> _Claim | None:
    """Take the message for one attempt, unless someone else did since it was read."""
    with ctx.unit_of_work() as session:
        taken = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "pending",
                OutboxMessage.attempts == attempts,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
        ).rowcount
        if taken != 1:
            return None
        row = session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.recipient, OutboxMessage.sealed).where(
                OutboxMessage.id == message_id
            )
        ).one()
        session.commit()
    return _Claim(message_id, attempts + 1, row.dedupe_key, row.recipient, row.sealed)


def _settle(ctx: EngineContext, claim: _Claim, now: datetime, status: str, error: str | None) -> None:
    """Record the attempt's outcome, if the claim is still ours (the lease did not run out).

    A sent message loses its content; one that waits for a retry or is dead keeps it sealed.
    """
    values: dict[str, object] = {"status": status, "last_error": error[:500] if error else None}
    values["next_attempt_at"] = now + retry_delay(claim.attempt) if status == "pending" else now
    if status == "sent":
        values.update(sent_at=now, sealed=None)
    with ctx.unit_of_work() as session:
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == claim.id,
                OutboxMessage.status == "pending",
                OutboxMessage.attempts == claim.attempt,
            )
            .values(**values)
        )
        session.commit()


def _person_address(ctx: EngineContext, claim: _Claim) -> tuple[str, ...]:
    """A person's address lives only in the sealed content (``enqueue(..., to=...)``)."""
    try:
        to = _opened(ctx, claim).to
    except DeliveryFailed:
        return ()
    return (to,) if "@" in to else ()


def _addresses(ctx: EngineContext, recipient: str) -> tuple[str, ...]:
    """E-mail addresses for ``staff:NAME``, ``group:ROLE`` or a plain address."""
    kind, _, name = recipient.partition(":")
    if kind not in ("staff", "group"):
        return (recipient,) if "@" in recipient else ()
    with ctx.unit_of_work(writes=False) as session:
        query = select(Staff.email, Staff.roles).where(Staff.active.is_(True), Staff.email.is_not(None))
        if kind == "staff":
            query = query.where(Staff.username == name)
        rows = session.execute(query.order_by(Staff.username)).all()
    return tuple(row.email for row in rows if row.email and (kind == "staff" or name in row.roles.split()))


# -- for the administrators --------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    id: int
    kind: str
    recipient: str
    case_id: int | None
    attempts: int
    created_at: datetime
    last_attempt_at: datetime
    last_error: str | None
    case_reference: str | None = None  # the case's Aktenzeichen, as staff know it


def dead_letters(ctx: EngineContext, limit: int = 200) -> list[DeadLetter]:
    """Messages given up on, newest first (no subject or body: the list shows where, when and why)."""
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.recipient,
                OutboxMessage.case_id,
                OutboxMessage.attempts,
                OutboxMessage.created_at,
                OutboxMessage.next_attempt_at,
                OutboxMessage.last_error,
                Case.reference,
            )
            .outerjoin(Case, Case.id == OutboxMessage.case_id)
            .where(OutboxMessage.status == "dead")
            .order_by(OutboxMessage.next_attempt_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        ).all()
    return [DeadLetter(*row) for row in rows]
