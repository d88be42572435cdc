"""Loading and saving case instances: encrypted state, optimistic lock, projections, all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit, outbox
from engine.bpmn import SERIALIZER_VERSION, HumanTask, Instance
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate
from engine.models import Case, Task
from engine.projection import projected_attributes


@dataclass(frozen=True)
class Completion:
    """The human task a step completed, for the projection and the audit trail."""

    task_id: str
    actor: str


def binding(case_id: int) -> bytes:
    """Associated data that ties a ciphertext to its case row."""
    return f"case:{case_id}".encode()


def load_instance(ctx: EngineContext, session: Session, case: Case) -> Instance:
    cached = ctx.instances.take(case.id, case.lock_version)
    if cached is not None:
        return cached
    process = ctx.process(session, case.process_version_id)
    blob = ctx.vault.open(case.state, binding(case.id))
    return ctx.runtime.load(blob, process)


def insert_case(ctx: EngineContext, session: Session, case: Case, instance: Instance, now: datetime) -> None:
    """Store a new case (its id is needed to seal the state, so it is flushed first)."""
    case.state = b""
    case.serializer_version = SERIALIZER_VERSION
    case.lock_version = 1
    session.add(case)
    session.flush()
    case.reference = f"{now.year}-{case.id:05d}"
    case.state = ctx.vault.seal(ctx.runtime.dump(instance), binding(case.id))
    _apply_case_facts(case, instance, now, None)
    sync_tasks(ctx, session, case, instance, now, None)
    session.flush()


def update_case(
    ctx: EngineContext,
    session: Session,
    case: Case,
    instance: Instance,
    now: datetime,
    completion: Completion | None = None,
) -> int:
    """Write the new state if nobody else did since it was read; returns the new lock version."""
    seen = case.lock_version
    state = ctx.vault.seal(ctx.runtime.dump(instance), binding(case.id))
    facts = _case_facts(case, instance, now, completion)
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.lock_version == seen)
        .values(state=state, lock_version=seen + 1, serializer_version=SERIALIZER_VERSION, **facts)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ConcurrentUpdate(case.reference)
    for name, value in facts.items():
        setattr(case, name, value)
    case.lock_version = seen + 1
    sync_tasks(ctx, session, case, instance, now, completion)
    return case.lock_version


def remember(ctx: EngineContext, case: Case, instance: Instance) -> None:
    """After commit: keep the live instance for the next use case on this case."""
    ctx.instances.put(case.id, case.lock_version, instance)


def _case_facts(case: Case, instance: Instance, now: datetime, completion: Completion | None) -> dict:
    facts: dict = {"updated_at": now, "next_timer_at": instance.next_timer_at()}
    facts.update(projected_attributes(instance.variables()))
    if instance.completed and case.status == "open":
        facts["status"] = "closed"
        facts["closed_at"] = now
    if completion is not None and case.first_contact_at is None:
        facts["first_contact_at"] = now
    return facts


def _apply_case_facts(case: Case, instance: Instance, now: datetime, completion: Completion | None) -> None:
    for name, value in _case_facts(case, instance, now, completion).items():
        setattr(case, name, value)


def sync_tasks(
    ctx: EngineContext,
    session: Session,
    case: Case,
    instance: Instance,
    now: datetime,
    completion: Completion | None,
) -> None:
    """Bring the task projection in line with the instance's READY human tasks, writing only changes."""
    ready = {task.id: task for task in instance.human_tasks()}
    open_rows = session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open")).all()
    known = set()
    for row in open_rows:
        known.add(row.id)
        if row.id in ready:
            _refresh_row(row, ready[row.id])
        elif completion is not None and row.id == completion.task_id:
            row.status, row.completed_at, row.completed_by = "completed", now, completion.actor
        else:
            row.status, row.completed_at = "cancelled", now
    for task in ready.values():
        if task.id not in known:
            session.add(_new_row(case.id, task, now))
            if task.escalation:
                _escalate(session, case, task, now)


def _new_row(case_id: int, task: HumanTask, now: datetime) -> Task:
    return Task(
        id=task.id,
        case_id=case_id,
        element_id=task.element_id,
        title=task.title,
        candidate_group=task.candidate_group,
        assignee=task.assignee,
        due_at=task.due_at,
        follow_up_at=task.follow_up_at,
        priority=task.priority,
        escalation=task.escalation,
        status="open",
        created_at=now,
    )


def _refresh_row(row: Task, task: HumanTask) -> None:
    for name in ("due_at", "follow_up_at", "priority", "title", "candidate_group"):
        value = getattr(task, name)
        if getattr(row, name) != value:
            setattr(row, name, value)


def _escalate(session: Session, case: Case, task: HumanTask, now: datetime) -> None:
    if not case.escalated:
        session.execute(update(Case).where(Case.id == case.id).values(escalated=True))
        case.escalated = True
    audit.record(session, now, "system", "escalated", case.id, task.element_id)
    outbox.enqueue(
        session,
        now,
        dedupe_key=f"escalation:{task.id}",
        kind="escalation",
        recipient=f"group:{task.candidate_group or 'teamleitung'}",
        subject=f"Lotse: Eskalation in Fall {case.reference}",
        body=f"Fall {case.reference}: {task.title}. Bitte in Lotse öffnen: /cases/{case.id}",
        case_id=case.id,
    )
