"""Answering the person from the case page, and the case's conversation in order with delivery state.

A reply goes through the outbox to the sender of the case's latest incoming e-mail: the address is sealed
with the outbox content (recipient ``person:CASE``), the subject carries the reference token
``[Lotse REF]`` and the mail answers the person's Message-ID (In-Reply-To/References), so the person's
next reply finds the case again. Delivery is told truthfully: anything not yet handed to the mail server
"wartet auf Versand", with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.channels.attachments import evidence_outcome
from engine.channels.conversation import mark_messages_read, message_of
from engine.channels.mail_intake import open_document
from engine.channels.mail_reading import text_of_html
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.kernel.outbox import enqueue
from engine.store.channel_tables import InboundMessage, SentReply
from engine.store.tables import Case, OutboxMessage

MAX_REPLY_CHARS = 20_000


class ReplyRefused(DomainError):
    code = "reply_refused"

    def __init__(self, german: str, english: str) -> None:
        super().__init__(german, english, field="body")
        self.field = "body"


@dataclass(frozen=True)
class ConversationEntry:
    direction: str  # in, out
    at: datetime
    subject: str
    text: str
    author: str  # the sender's header for incoming, the counsellor for outgoing
    state: str  # received, sent, waiting, dead
    why: str  # for waiting and dead: no mail server, retrying, the server's answer
    message_id: int | None = None  # an incoming message's id (what a reply can answer)
    evidence: int = 0  # how many of an incoming message's files became evidence of the case
    refused: tuple[dict, ...] = ()  # the files the evidence store refused: file_name, de, en (the reason)


def reply_binding(case_id: int) -> bytes:
    return f"reply:{case_id}".encode()


def send_reply(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    body: str,
    now: datetime | None = None,
    answering: int | None = None,
) -> int:
    """Queue an answer to the person: to the sender of the incoming message ``answering`` (any of the
    conversation's), else of the latest one; returns the reply's id."""
    now = now or ctx.clock.now()
    body = body.strip()
    if not body:
        raise ReplyRefused("Bitte eine Nachricht schreiben.", "Please write a message.")
    if len(body) > MAX_REPLY_CHARS:
        raise ReplyRefused(
            "Die Nachricht ist zu lang (höchstens 20.000 Zeichen).", "The message is too long."
        )
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        case = session.get(Case, case_id)
        assert case is not None
        latest = (
            _latest_incoming(session, case_id)
            if answering is None
            else _incoming_of(session, case_id, answering)
        )
        if latest is not None and latest.channel == "portal":
            return _post_to_mailbox(ctx, session, actor, case_id, body, now)
        document = open_document(ctx, latest) if latest is not None else {}
        address = parseaddr(document.get("from", ""))[1]
        if "@" not in address:
            raise ReplyRefused(
                "Für diesen Fall ist keine E-Mail-Adresse bekannt, an die geantwortet werden kann.",
                "There is no e-mail address to answer on this case.",
            )
        subject = _subject(document.get("subject", ""), case.reference or "")
        reply_id = int(
            session.execute(
                insert(SentReply).values(
                    case_id=case_id,
                    channel="email",
                    author=actor.username,
                    written_at=now,
                    sealed=ctx.vault.seal(
                        json.dumps({"subject": subject, "body": body}).encode(), reply_binding(case_id)
                    ),
                )
            ).inserted_primary_key[0]
        )
        key = f"antwort:{case_id}:{reply_id}"
        in_reply_to = f"<{document['message_id']}>" if document.get("message_id") else ""
        enqueue(
            session, now, dedupe_key=key, kind="antwort", recipient=f"person:{case_id}", subject=subject,
            body=body, case_id=case_id, to=address, in_reply_to=in_reply_to,
        )  # fmt: skip
        outbox_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
        session.execute(
            SentReply.__table__.update().where(SentReply.id == reply_id).values(outbox_id=outbox_id)
        )
        mark_messages_read(session, case_id, actor.username, now)
        audit.record(session, now, actor.username, "reply_written", case_id, "email")
        session.commit()
    return reply_id


def messages_read(ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None) -> int:
    """The counsellor has read the new messages: their tasks leave the inbox."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        done = mark_messages_read(session, case_id, actor.username, now)
        session.commit()
    return done


def _post_to_mailbox(
    ctx: EngineContext, session: Session, actor: Actor, case_id: int, body: str, now: datetime
) -> int:
    """An answer to the anonymous mailbox: nothing leaves Lotse; the person reads it at /kontakt/postfach."""
    sealed = ctx.vault.seal(json.dumps({"subject": "", "body": body}).encode(), reply_binding(case_id))
    reply_id = int(
        session.execute(
            insert(SentReply).values(
                case_id=case_id, channel="postfach", author=actor.username, written_at=now, sealed=sealed
            )
        ).inserted_primary_key[0]
    )
    mark_messages_read(session, case_id, actor.username, now)
    audit.record(session, now, actor.username, "reply_written", case_id, "postfach")
    session.commit()
    return reply_id


def case_conversation(
    ctx: EngineContext, actor: Actor, case_id: int, mail_configured: bool = True
) -> list[ConversationEntry]:
    """Every message in and out of the case, oldest first."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        incoming = session.scalars(
            select(InboundMessage).where(
                InboundMessage.case_id == case_id, InboundMessage.referral_id.is_(None)
            )
        ).all()
        outgoing = session.execute(
            select(SentReply, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
            .outerjoin(OutboxMessage, OutboxMessage.id == SentReply.outbox_id)
            .where(SentReply.case_id == case_id)
        ).all()
    entries = [_incoming(ctx, row) for row in incoming]
    for reply, status, attempts, last_error in outgoing:
        content = json.loads(ctx.vault.open(reply.sealed, reply_binding(case_id)))
        state, why = (
            ("posted", "")
            if reply.channel == "postfach"
            else _delivery(status, attempts or 0, last_error, mail_configured)
        )
        entries.append(
            ConversationEntry(
                "out", reply.written_at, content["subject"], content["body"], reply.author, state, why
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


def _incoming(ctx: EngineContext, row: InboundMessage) -> ConversationEntry:
    document = open_document(ctx, row)
    taken, refused = evidence_outcome(document)
    return ConversationEntry(
        "in", row.received_at, document.get("subject", ""),
        document.get("text") or text_of_html(document.get("html", "")), document.get("from", ""),
        "received", "", row.id, taken, tuple(refused),
    )  # fmt: skip


def _delivery(
    status: str | None, attempts: int, last_error: str | None, mail_configured: bool
) -> tuple[str, str]:
    if status == "sent":
        return "sent", ""
    if status == "dead":
        return "dead", last_error or ""
    if not mail_configured:
        return "waiting", "no_mail_server"
    if attempts:
        return "waiting", "retrying"
    return "waiting", "queued"


def _answerable(case_id: int):
    return select(InboundMessage).where(
        InboundMessage.case_id == case_id,
        InboundMessage.channel.in_(("email", "portal")),
        InboundMessage.referral_id.is_(None),  # a service's answer to a handover is not the person
    )


def _latest_incoming(session: Session, case_id: int) -> InboundMessage | None:
    return session.scalars(
        _answerable(case_id).order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(1)
    ).first()


def _incoming_of(session: Session, case_id: int, message_id: int) -> InboundMessage:
    row = session.scalars(_answerable(case_id).where(InboundMessage.id == message_id)).first()
    if row is None:
        raise ReplyRefused(
            "Auf diese Nachricht kann von diesem Fall aus nicht geantwortet werden.",
            "This message cannot be answered from this case.",
        )
    return row


def _subject(theirs: str, reference: str) -> str:
    base = theirs.strip() or "Ihre Nachricht an die starke Stelle"
    base = base if base.lower().startswith("re:") else f"Re: {base}"
    token = f"[Lotse {reference}]"
    return base if token in base else f"{base} {token}"


def case_of_message_task(ctx: EngineContext, task_id: str) -> int | None:
    """The case a "Neue Nachricht" task belongs to; None for any other task id."""
    message_id = message_of(task_id)
    if message_id is None:
        return None
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(InboundMessage.case_id).where(InboundMessage.id == message_id))
