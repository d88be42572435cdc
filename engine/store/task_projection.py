"""The task projection: after each step, the tasks table in line with the instance's READY human tasks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.bpmn.tasks import HumanTask
from engine.deadlines.escalation import carry_out, escalate
from engine.staff.cover import berlin_day, cover_of
from engine.store.tables import Task

if TYPE_CHECKING:
    from engine.store.case_store import CaseRecord, Completion

_COMPLETE_TASK = (
    update(Task.__table__)
    .where(Task.id == bindparam("task_id"), Task.status == "open")
    .values(status="completed", completed_at=bindparam("at"), completed_by=bindparam("actor"))
)
_CANCEL_TASK = (
    update(Task.__table__)
    .where(Task.id == bindparam("task_id"), Task.status == "open")
    .values(status="cancelled", completed_at=bindparam("at"))
)
_INSERT_TASK = insert(Task.__table__)
# the case's facts on its open tasks (the inbox reads only the tasks): see ``_refresh_task_facts``
_OPEN_TASKS_OF_CASE = (Task.case_id == bindparam("of_case"), Task.status == "open")
_REFRESH_TASK_FACTS = (
    update(Task.__table__)
    .where(*_OPEN_TASKS_OF_CASE)
    .values(case_risk_level=bindparam("risk_level"), case_land=bindparam("land"))
)
_RESTAMP_TASK = (
    update(Task.__table__)
    .where(Task.id == bindparam("task_id"), Task.status == "open")
    .values(due_at=bindparam("due_at"), priority=bindparam("priority"))
)


def sync_tasks(
    session: Session,
    case: CaseRecord,
    instance: Instance,
    now: datetime,
    completion: Completion | None,
    facts_moved: bool = False,
) -> None:
    """Bring the task projection in line with the instance's READY human tasks, writing only changes.

    The projection was in line after the previous save, so the tasks that were ready when the
    instance was loaded are exactly the open rows: no query is needed to find them. New rows carry the
    case's facts; ``facts_moved`` says the case's risk level or Land changed in this step, so the open
    rows that stay get the new values too.
    """
    connection = session.connection()
    ready = {task.id: task for task in instance.human_tasks()}
    gone = [task_id for task_id in instance.ready_at_load if task_id not in ready]
    if completion is not None and completion.task_id in gone:
        gone.remove(completion.task_id)
        connection.execute(
            _COMPLETE_TASK, {"task_id": completion.task_id, "at": now, "actor": completion.actor}
        )
    if gone:
        connection.execute(_CANCEL_TASK, [{"task_id": task_id, "at": now} for task_id in gone])
    if facts_moved and any(task_id in ready for task_id in instance.ready_at_load):
        _refresh_task_facts(session, case)
    new = [task for task_id, task in ready.items() if task_id not in instance.ready_at_load]
    if new:
        connection.execute(_INSERT_TASK, [_new_row(session, case, task, now) for task in new])
    restamped = [ready[task_id] for task_id in instance.restamped if task_id in ready]
    if restamped:
        connection.execute(
            _RESTAMP_TASK,
            [{"task_id": task.id, "due_at": task.due_at, "priority": task.priority} for task in restamped],
        )
    for task in new:
        if task.escalation:
            escalate(session, case, task, now)
    for effect in instance.effects:
        carry_out(session, case, effect, now)
    instance.effects.clear()
    instance.restamped.clear()
    instance.ready_at_load = frozenset(ready)


def _new_row(session: Session, case: CaseRecord, task: HumanTask, now: datetime) -> dict[str, Any]:
    """A new open task; one the model assigns to an absent person goes to their cover."""
    assignee = task.assignee
    if assignee is not None:
        assignee = cover_of(session, assignee, berlin_day(now)) or assignee
    return {
        "id": task.id,
        "case_id": case.id,
        "element_id": task.element_id,
        "title": task.title,
        "candidate_group": task.candidate_group,
        "assignee": assignee,
        "due_at": task.due_at,
        "follow_up_at": task.follow_up_at,
        "priority": task.priority,
        "escalation": task.escalation,
        "status": "open",
        "created_at": now,
        "completed_at": None,
        "completed_by": None,
        "case_reference": case.reference,
        "case_risk_level": case.risk_level,
        "case_land": case.land,
        "case_escalated": case.escalated,
    }


def _refresh_task_facts(session: Session, case: CaseRecord) -> None:
    """The case's risk level and Land onto its open tasks (in the transaction that changed them)."""
    session.connection().execute(
        _REFRESH_TASK_FACTS, {"of_case": case.id, "risk_level": case.risk_level, "land": case.land}
    )
