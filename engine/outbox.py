"""Messages to send after commit: written in the use case's transaction, delivered by a scheduled job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import OutboxMessage


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
) -> bool:
    """Add a message unless one with the same dedupe key exists; True if added."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return False
    session.add(
        OutboxMessage(
            dedupe_key=dedupe_key,
            kind=kind,
            recipient=recipient,
            subject=subject,
            body=body,
            case_id=case_id,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    )
    return True
