"""E-Mail sichten: the intake group's queue of messages that belong to no case yet, and what a counsellor
does with one: open a case from it (channel E-Mail), add it to a case she may see, or discard it with a
reason. Each is a conditional update, so two counsellors cannot both handle one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.cases.lifecycle import OpenedCase, open_case
from engine.cases.need_to_know import require_case_access
from engine.channels.attachments import attachments_to_evidence
from engine.channels.intake_tasks import free_for, why_not_free
from engine.channels.mail_intake import open_document
from engine.channels.message_events import deliver_new_message
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.store.channel_tables import InboundMessage
from engine.store.tables import Case

TRIAGE_GROUPS = frozenset({"beratung", "teamleitung"})
DEFAULT_DISCARD_DAYS = 30
MAX_REASON_CHARS = 500


class TriageRefused(DomainError):
    """The message cannot be handled that way; ``field`` names the form field the message belongs to."""

    code = "triage_refused"

    def __init__(self, field: str, german: str, english: str) -> None:
        super().__init__(german, english, field=field)
        self.field = field


@dataclass(frozen=True)
class TriageEntry:
    id: int
    received_at: datetime
    channel: str
    subject: str
    sender: str
    attachment_count: int
    assignee: str | None = None  # who has claimed its "E-Mail sichten" task


@dataclass(frozen=True)
class MessageView:
    id: int
    status: str
    received_at: datetime
    sha256: str | None
    case_id: int | None
    document: dict[str, Any]
    assignee: str | None = None  # who has claimed its "E-Mail sichten" task


@dataclass(frozen=True)
class RefusedEntry:
    id: int
    received_at: datetime
    size: int
    refusal: str
    mailbox: str | None


def _require_triage(actor: Actor) -> None:
    if not actor.groups & TRIAGE_GROUPS:
        raise NotPermitted("E-Mail sichten")


def triage_queue(ctx: EngineContext, actor: Actor) -> list[TriageEntry]:
    """Messages waiting to be sighted, oldest first."""
    _require_triage(actor)
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.status == "triage")
            .order_by(InboundMessage.received_at)
        ).all()
    entries = []
    for row in rows:
        document = open_document(ctx, row)
        entries.append(
            TriageEntry(
                row.id,
                row.received_at,
                row.channel,
                document.get("subject", ""),
                document.get("from", ""),
                row.attachment_count,
                row.assignee,
            )
        )
    return entries


def read_message(
    ctx: EngineContext, actor: Actor, message_id: int, now: datetime | None = None
) -> MessageView:
    """One message with its content; one on a case needs access to that case. The view is audited."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = _row(session, message_id)
        if row.case_id is not None:
            require_case_access(session, actor, row.case_id)
        else:
            _require_triage(actor)
        audit.record(session, now, actor.username, "message_viewed", row.case_id, str(row.id))
        session.commit()
    return MessageView(
        row.id, row.status, row.received_at, row.sha256, row.case_id, open_document(ctx, row), row.assignee
    )


def open_case_from_message(
    ctx: EngineContext, actor: Actor, message_id: int, now: datetime | None = None
) -> OpenedCase:
    """A new case on channel E-Mail (or Portal) with the message on it, its attachments as evidence."""
    _require_triage(actor)
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        channel = _row(session, message_id).channel

    def take(session: Session, case_id: int) -> None:
        _take(session, actor, message_id, case_id, now)
        attachments_to_evidence(ctx, session, message_id, case_id, now)

    return open_case(
        ctx,
        actor,
        {"kontaktkanal": "portal" if channel in ("portal", "api") else "email"},
        now=now,
        alongside=take,
    )


def add_message_to_case(
    ctx: EngineContext, actor: Actor, message_id: int, reference: str, now: datetime | None = None
) -> int:
    """Put the message onto an existing case the actor may see; returns the case id."""
    _require_triage(actor)
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == reference.strip()))
        if case_id is None:
            raise TriageRefused(
                "reference",
                f"Kein Fall mit dem Aktenzeichen {reference.strip()!r}.",
                "No case with that reference.",
            )
        require_case_access(session, actor, case_id)
        channel = _row(session, message_id).channel
        _take(session, actor, message_id, case_id, now)
        attachments_to_evidence(ctx, session, message_id, case_id, now)
        session.commit()
    deliver_new_message(ctx, int(case_id), channel, now)  # the message lands on the case: its process hears
    return int(case_id)


def discard_message(
    ctx: EngineContext, actor: Actor, message_id: int, reason: str, now: datetime | None = None
) -> None:
    """Discard as spam or irrelevant; the reason is required and sealed; the content goes with the purge."""
    _require_triage(actor)
    now = now or ctx.clock.now()
    reason = reason.strip()
    if not reason:
        raise TriageRefused("reason", "Bitte einen Grund angeben.", "Please give a reason.")
    if len(reason) > MAX_REASON_CHARS:
        raise TriageRefused(
            "reason",
            "Der Grund ist zu lang (höchstens 500 Zeichen).",
            "The reason is too long (500 characters at most).",
        )
    with ctx.unit_of_work() as session:
        done = session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == message_id, InboundMessage.status == "triage", free_for(actor))
            .values(
                status="discarded",
                handled_at=now,
                handled_by=actor.username,
                discard_reason=ctx.vault.seal(reason.encode(), f"inbound-discard:{message_id}".encode()),
            )
        ).rowcount
        if not done:
            raise _already_handled(session, message_id)
        audit.record(session, now, actor.username, "message_discarded", None, str(message_id))
        session.commit()


def purge_discarded(ctx: EngineContext, now: datetime, days: int = DEFAULT_DISCARD_DAYS) -> int:
    """Delete discarded messages older than ``days``; returns how many."""
    with ctx.unit_of_work() as session:
        gone = session.execute(
            delete(InboundMessage).where(
                InboundMessage.status == "discarded", InboundMessage.handled_at < now - timedelta(days=days)
            )
        ).rowcount
        session.commit()
    return int(gone or 0)


def refused_messages(ctx: EngineContext, actor: Actor) -> list[RefusedEntry]:
    """For administrators: messages refused at intake (too large, too many attachments), no content."""
    if "administration" not in actor.groups:
        raise NotPermitted("abgewiesene Nachrichten")
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(
                InboundMessage.id, InboundMessage.received_at, InboundMessage.size, InboundMessage.refusal,
                InboundMessage.mailbox,
            )
            .where(InboundMessage.status == "refused")
            .order_by(InboundMessage.received_at.desc())
        ).all()  # fmt: skip
    return [RefusedEntry(r.id, r.received_at, r.size, r.refusal or "", r.mailbox) for r in rows]


def _row(session: Session, message_id: int) -> InboundMessage:
    row = session.get(InboundMessage, message_id)
    if row is None or row.status == "refused":
        raise NotFound("Nachricht/Message", message_id)
    return row


def _take(session: Session, actor: Actor, message_id: int, case_id: int, now: datetime) -> None:
    done = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id, InboundMessage.status == "triage", free_for(actor))
        .values(status="case", case_id=case_id, handled_at=now, handled_by=actor.username)
    ).rowcount
    if not done:
        raise _already_handled(session, message_id)
    audit.record(session, now, actor.username, "message_to_case", case_id, str(message_id))


def _already_handled(session: Session, message_id: int) -> TriageRefused:
    """Handled meanwhile, or its task is held by a colleague."""
    why = why_not_free(session, message_id)
    return TriageRefused("message", why.german, why.english)
