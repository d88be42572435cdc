"""What has not left the outbox yet, for the administrators' Postausgang page: where, since when, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.kernel.context import EngineContext
from engine.store.tables import Case, OutboxMessage


@dataclass(frozen=True)
class PendingMail:
    id: int
    kind: str
    recipient: str  # staff:NAME, group:ROLE, a service's address, or person:CASE (the address stays sealed)
    case_id: int | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    why: str  # no_mail_server, retrying, queued
    last_error: str | None
    case_reference: str | None = None  # the case's Aktenzeichen, as staff know it


def pending_mail(ctx: EngineContext, mail_configured: bool, limit: int = 200) -> list[PendingMail]:
    """Messages waiting to be sent, oldest first (never their subject or text)."""
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(
                OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.case_id,
                OutboxMessage.attempts, OutboxMessage.created_at, OutboxMessage.next_attempt_at,
                OutboxMessage.last_error, Case.reference,
            )
            .outerjoin(Case, Case.id == OutboxMessage.case_id)
            .where(OutboxMessage.status == "pending")
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        ).all()  # fmt: skip
    return [
        PendingMail(
            *r[:7], why=_why(mail_configured, r.attempts), last_error=r.last_error, case_reference=r[8]
        )
        for r in rows
    ]


def _why(mail_configured: bool, attempts: int) -> str:
    if not mail_configured:
        return "no_mail_server"
    return "retrying" if attempts else "queued"
