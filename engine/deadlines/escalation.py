"""What a deadline's effect does beyond the workflow: escalation mark and e-mail, reminders, tightening."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.bpmn.tasks import Effect, HumanTask
from engine.kernel import audit, outbox
from engine.staff.cover import berlin_day, cover_of
from engine.store.tables import Case, Task

if TYPE_CHECKING:
    from engine.store.case_store import CaseRecord

_MARK_ESCALATED = update(Case.__table__).where(Case.id == bindparam("case_id")).values(escalated=True)
# the mark on the case's open tasks too (the inbox reads only the tasks)
_MARK_TASKS_ESCALATED = (
    update(Task.__table__)
    .where(Task.case_id == bindparam("of_case"), Task.status == "open")
    .values(case_escalated=True)
)


def carry_out(session: Session, case: CaseRecord, effect: Effect, now: datetime) -> None:
    """What a ``lotse:effect`` element asks for beyond the workflow itself: marks, messages, audit."""
    target = effect.target
    if effect.kind == "eskalation":
        _mark_escalated(session, case)
        audit.record(
            session, now, "system", "escalated", case.id, target.element_id if target else effect.element_id
        )
    elif effect.kind == "erinnerung" and target is not None:
        assignee = session.scalar(select(Task.assignee).where(Task.id == target.id))
        assignee = cover_of(session, assignee, berlin_day(now)) or assignee  # the cover while away
        recipient = f"staff:{assignee}" if assignee else f"group:{target.candidate_group or 'beratung'}"
        added = outbox.enqueue(
            session,
            now,
            dedupe_key=f"reminder:{target.id}:{effect.element_id}",
            kind="reminder",
            recipient=recipient,
            subject=f"Lotse: Frist abgelaufen in Fall {case.reference}",
            body=f"Fall {case.reference}: „{target.title}“ ist fällig. Bitte in Lotse öffnen: /faelle/{case.id}",
            case_id=case.id,
        )
        if added:
            audit.record(session, now, "system", "reminded", case.id, target.element_id)
    elif effect.kind == "fristen":
        audit.record(session, now, "system", "deadlines_tightened", case.id, effect.element_id)


def escalate(session: Session, case: CaseRecord, task: HumanTask, now: datetime) -> None:
    """A new escalation task ("Eskalation prüfen"): mark the case escalated and tell its group by e-mail."""
    _mark_escalated(session, case)
    audit.record(session, now, "system", "escalated", case.id, task.element_id)
    outbox.enqueue(
        session,
        now,
        dedupe_key=f"escalation:{task.id}",
        kind="escalation",
        recipient=f"group:{task.candidate_group or 'teamleitung'}",
        subject=f"Lotse: Eskalation in Fall {case.reference}",
        body=f"Fall {case.reference}: {task.title}. Bitte in Lotse öffnen: /faelle/{case.id}",
        case_id=case.id,
    )


def _mark_escalated(session: Session, case: CaseRecord) -> None:
    if not case.escalated:
        connection = session.connection()
        connection.execute(_MARK_ESCALATED, {"case_id": case.id})
        connection.execute(_MARK_TASKS_ESCALATED, {"of_case": case.id})
        case.escalated = True
