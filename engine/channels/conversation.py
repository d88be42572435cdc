"""Which case an incoming message answers, and the "Neue Nachricht" task that tells its counsellor.

A reply names a message Lotse sent (In-Reply-To or References carry the outbox's Message-ID, whose local
part is the outbox row's key), or its subject carries the reference token Lotse puts into outgoing
subjects. The task is a Lotse-side row of the task projection (id ``nachricht-<message id>``), for the
person working on the case (the assignee of its open step), else for the step's group.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from engine.channels.mail_reading import ReadMail
from engine.kernel.numbers import whole_number
from engine.referrals.handover import referral_of_message_id, referral_of_token
from engine.store.referral_tables import Referral
from engine.store.tables import Case, OutboxMessage, Task

TASK_PREFIX = "nachricht-"
TASK_TITLE = "Neue Nachricht"
DEFAULT_GROUP = "beratung"
TASK_PRIORITY = 45


def case_of_reply(session: Session, mail: ReadMail) -> tuple[int | None, str | None]:
    """(case id, how it was found: ``thread`` or ``token``) or (None, None) for a new conversation."""
    local_parts = [ref.split("@", 1)[0] for ref in mail.in_reply_to if "@" in ref][:20]
    if local_parts:
        case_id = session.scalar(
            select(OutboxMessage.case_id)
            .where(
                func.replace(OutboxMessage.dedupe_key, ":", ".").in_(local_parts),
                OutboxMessage.case_id.is_not(None),
            )
            .limit(1)
        )
        if case_id is not None and _is_open(session, case_id):
            return int(case_id), "thread"
    token = mail.reference_token()
    if token:
        case_id = session.scalar(select(Case.id).where(Case.reference == token))
        if case_id is not None and _is_open(session, case_id):
            return int(case_id), "token"
    return None, None


def referral_of_reply(session: Session, mail: ReadMail) -> tuple[int, int] | None:
    """(case id, referral id) when ``mail`` answers a handover e-mail of an open case, else None."""
    candidates = [
        found
        for ref in mail.in_reply_to
        if "@" in ref and (found := referral_of_message_id(ref.split("@", 1)[0])) is not None
    ]
    token = referral_of_token(mail.subject)
    if token is not None:
        candidates.append(token)
    for referral_id in candidates[:20]:
        row = session.execute(
            select(Referral.case_id)
            .join(Case, Case.id == Referral.case_id)
            .where(Referral.id == referral_id, Case.status == "open")
        ).first()
        if row is not None:
            return int(row.case_id), referral_id
    return None


def _is_open(session: Session, case_id: int) -> bool:
    return session.scalar(select(Case.status).where(Case.id == case_id)) == "open"


def note_new_message(session: Session, case_id: int, message_id: int, now: datetime) -> str:
    """Put a "Neue Nachricht" task into the inbox of whoever works on the case; returns its id."""
    case = session.get(Case, case_id)
    assert case is not None
    step = session.execute(
        select(Task.assignee, Task.candidate_group)
        .where(Task.case_id == case_id, Task.status == "open", ~Task.id.like(f"{TASK_PREFIX}%"))
        .order_by(Task.assignee.is_(None), Task.created_at.desc())
        .limit(1)
    ).first()
    task_id = f"{TASK_PREFIX}{message_id}"
    session.execute(
        insert(Task).values(
            id=task_id,
            case_id=case_id,
            element_id="neue_nachricht",
            title=TASK_TITLE,
            candidate_group=(step.candidate_group if step else None) or DEFAULT_GROUP,
            assignee=step.assignee if step else None,
            due_at=None,
            follow_up_at=None,
            priority=TASK_PRIORITY,
            escalation=False,
            status="open",
            created_at=now,
            case_reference=case.reference,
            case_risk_level=case.risk_level,
            case_land=case.land,
            case_escalated=case.escalated,
        )
    )
    return task_id


def mark_messages_read(session: Session, case_id: int, username: str, now: datetime) -> int:
    """Complete the case's open "Neue Nachricht" tasks (read or answered); returns how many."""
    done = session.execute(
        update(Task)
        .where(Task.case_id == case_id, Task.status == "open", Task.id.like(f"{TASK_PREFIX}%"))
        .values(status="completed", completed_at=now, completed_by=username)
    ).rowcount
    return int(done or 0)


def message_of(task_id: str) -> int | None:
    """The inbound message behind a "Neue Nachricht" task id, or None for any other task."""
    rest = task_id[len(TASK_PREFIX) :] if task_id.startswith(TASK_PREFIX) else ""
    return whole_number(rest, 1)
