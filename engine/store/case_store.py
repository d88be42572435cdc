"""Loading and saving case instances: encrypted state, optimistic lock, projections, one transaction.

The hot path (complete a task, fire a timer) uses prebuilt Core statements on the session's
connection: a handful of statements per step, none of them re-compiled.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.bpmn.serializer import SERIALIZER_VERSION
from engine.bpmn.tasks import Effect, HumanTask
from engine.kernel import audit, outbox
from engine.kernel.context import EngineContext
from engine.kernel.errors import ConcurrentUpdate
from engine.store.projection import CASE_PROJECTION, projected_attributes
from engine.store.tables import Case, Task


@dataclass(frozen=True)
class Completion:
    """The human task a step completed, for the projection and the audit trail."""

    task_id: str
    actor: str


@dataclass
class CaseRecord:
    """The columns of a case row that use cases work with."""

    id: int
    reference: str | None
    process_version_id: int
    state: bytes
    lock_version: int
    status: str
    escalated: bool
    first_contact_at: datetime | None
    closed_at: datetime | None
    risk_level: str | None
    land: str | None
    office_type: str | None
    contact_channel: str | None


RECORD_COLUMNS = [getattr(Case, f.name) for f in fields(CaseRecord)]
# the projected case columns that the tasks carry too (besides the reference and the escalation mark)
TASK_FACTS = ("risk_level", "land")

_SAVE = (
    update(Case.__table__)
    .where(Case.id == bindparam("case_id"), Case.lock_version == bindparam("seen"))
    .values(
        {
            name: bindparam(f"new_{name}")
            for name in (
                "state",
                "lock_version",
                "serializer_version",
                "status",
                "updated_at",
                "next_timer_at",
                "first_contact_at",
                "closed_at",
                *CASE_PROJECTION,
            )
        }
    )
)
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
_MARK_ESCALATED = update(Case.__table__).where(Case.id == bindparam("case_id")).values(escalated=True)
# the case's facts on its open tasks (the inbox reads only the tasks): see ``_refresh_task_facts``
_OPEN_TASKS_OF_CASE = (Task.case_id == bindparam("of_case"), Task.status == "open")
_MARK_TASKS_ESCALATED = update(Task.__table__).where(*_OPEN_TASKS_OF_CASE).values(case_escalated=True)
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


def binding(case_id: int) -> bytes:
    """Associated data that ties a ciphertext to its case row."""
    return f"case:{case_id}".encode()


def record_from_row(row: Any) -> CaseRecord:
    return CaseRecord(*row)


def case_record(session: Session, case_id: int) -> CaseRecord:
    """The working columns of an existing case (its existence is checked by the caller)."""
    return record_from_row(session.execute(select(*RECORD_COLUMNS).where(Case.id == case_id)).one())


def load_instance(ctx: EngineContext, session: Session, case: CaseRecord) -> Instance:
    cached = ctx.instances.take(case.id, case.lock_version)
    if cached is not None:
        return cached
    process = ctx.process(session, case.process_version_id)
    blob = ctx.vault.open(case.state, binding(case.id))
    return ctx.runtime.load(blob, process)


def insert_case(
    ctx: EngineContext,
    session: Session,
    process_version_id: int,
    instance: Instance,
    now: datetime,
    actor: str,
) -> CaseRecord:
    """Store a new case (its id is needed to seal the state, so the row is inserted first)."""
    case = Case(
        process_version_id=process_version_id,
        status="open",
        state=b"",
        serializer_version=SERIALIZER_VERSION,
        lock_version=0,
        opened_at=now,
        updated_at=now,
        opened_by=actor,
    )
    session.add(case)
    session.flush()
    case.reference = f"{now.year}-{case.id:05d}"
    session.flush()
    record = case_record(session, case.id)
    session.expunge(case)
    update_case(ctx, session, record, instance, now)
    return record


def update_case(
    ctx: EngineContext,
    session: Session,
    case: CaseRecord,
    instance: Instance,
    now: datetime,
    completion: Completion | None = None,
) -> int:
    """Write the new state if nobody else did since it was read; returns the new lock version."""
    facts = _case_facts(case, instance, now, completion)
    params = {f"new_{name}": value for name, value in facts.items()}
    params.update(
        case_id=case.id,
        seen=case.lock_version,
        new_state=ctx.vault.seal(ctx.runtime.dump(instance), binding(case.id)),
        new_lock_version=case.lock_version + 1,
        new_serializer_version=SERIALIZER_VERSION,
    )
    result = session.connection().execute(_SAVE, params)
    if result.rowcount != 1:
        raise ConcurrentUpdate(case.reference)
    moved = any(getattr(case, name) != facts[name] for name in TASK_FACTS)
    for name in ("status", "first_contact_at", "closed_at", *CASE_PROJECTION):
        setattr(case, name, facts[name])
    case.lock_version += 1
    sync_tasks(session, case, instance, now, completion, facts_moved=moved)
    return case.lock_version


def remember(ctx: EngineContext, case: CaseRecord, instance: Instance) -> None:
    """After commit: keep the live instance for the next use case on this case."""
    ctx.instances.put(case.id, case.lock_version, instance)


def _case_facts(
    case: CaseRecord, instance: Instance, now: datetime, completion: Completion | None
) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(case, name) for name in CASE_PROJECTION}
    facts.update(projected_attributes(instance.variables()))
    closing = instance.completed and case.status == "open"
    facts.update(
        status="closed" if instance.completed else case.status,
        closed_at=now if closing else case.closed_at,
        first_contact_at=case.first_contact_at or (now if completion is not None else None),
        updated_at=now,
        next_timer_at=instance.next_timer_at(),
    )
    return facts


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
        connection.execute(_INSERT_TASK, [_new_row(case, task, now) for task in new])
    restamped = [ready[task_id] for task_id in instance.restamped if task_id in ready]
    if restamped:
        connection.execute(
            _RESTAMP_TASK,
            [{"task_id": task.id, "due_at": task.due_at, "priority": task.priority} for task in restamped],
        )
    for task in new:
        if task.escalation:
            _escalate(session, case, task, now)
    for effect in instance.effects:
        _carry_out(session, case, effect, now)
    instance.effects.clear()
    instance.restamped.clear()
    instance.ready_at_load = frozenset(ready)


def _carry_out(session: Session, case: CaseRecord, effect: Effect, now: datetime) -> None:
    """What a ``lotse:effect`` element asks for beyond the workflow itself: marks, messages, audit."""
    target = effect.target
    if effect.kind == "eskalation":
        _mark_escalated(session, case)
        audit.record(
            session, now, "system", "escalated", case.id, target.element_id if target else effect.element_id
        )
    elif effect.kind == "erinnerung" and target is not None:
        assignee = session.scalar(select(Task.assignee).where(Task.id == target.id))
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


def _new_row(case: CaseRecord, task: HumanTask, now: datetime) -> dict[str, Any]:
    return {
        "id": task.id,
        "case_id": case.id,
        "element_id": task.element_id,
        "title": task.title,
        "candidate_group": task.candidate_group,
        "assignee": task.assignee,
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


def _mark_escalated(session: Session, case: CaseRecord) -> None:
    if not case.escalated:
        connection = session.connection()
        connection.execute(_MARK_ESCALATED, {"case_id": case.id})
        connection.execute(_MARK_TASKS_ESCALATED, {"of_case": case.id})
        case.escalated = True


def _escalate(session: Session, case: CaseRecord, task: HumanTask, now: datetime) -> None:
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
