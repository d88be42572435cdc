"""Ending a case's workflow instance from outside its process (an erasure of an open case, Art. 17).

The instance's state goes with the case's content; here the rows that would keep it alive go too: its
open tasks are cancelled (out of every inbox), its open appointments cancelled, its timer cleared (the
sweep only looks at open cases with a due timer), the messages about it that still wait in the outbox are
dropped, and its unresolved step failures are resolved (nothing left to retry).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from engine.store.access_tables import Appointment
from engine.store.failure_tables import StepFailure
from engine.store.tables import OutboxMessage, Task


def end_instance(session: Session, case_id: int, now: datetime, actor: str) -> None:
    """Everything that would still act for the case stops, in the caller's transaction."""
    cancel_open_work(session, case_id, now, actor)
    drop_pending_messages(session, case_id)
    session.execute(
        update(StepFailure)
        .where(StepFailure.case_id == case_id, StepFailure.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=actor)
    )


def cancel_open_work(session: Session, case_id: int, now: datetime, actor: str) -> None:
    """The case's open tasks leave every inbox and its agreed callbacks and appointments are called off."""
    session.execute(
        update(Task)
        .where(Task.case_id == case_id, Task.status == "open")
        .values(status="cancelled", completed_at=now)
    )
    session.execute(
        update(Appointment)
        .where(Appointment.case_id == case_id, Appointment.status == "open")
        .values(status="cancelled", done_at=now, done_by=actor)
    )


def drop_pending_messages(session: Session, case_id: int) -> None:
    """Messages about the case not yet handed to the mail server are not sent any more (a deliverer holding
    one of them finds it gone and records nothing)."""
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.status == "pending")
    )
