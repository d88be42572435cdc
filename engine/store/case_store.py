"""Loading and saving case instances: encrypted state, optimistic lock, projections, one transaction.

The hot path (complete a task, fire a timer) uses prebuilt Core statements on the session's
connection: a handful of statements per step, none of them re-compiled.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.bpmn.serializer import SERIALIZER_VERSION
from engine.calendar.business_calendar import BusinessCalendar
from engine.kernel.context import EngineContext
from engine.kernel.errors import ConcurrentUpdate
from engine.statistics.durations import working_tenths
from engine.store.projection import CASE_PROJECTION, projected_attributes
from engine.store.tables import Case
from engine.store.task_projection import sync_tasks


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
    request_kind: str | None = None
    incident_types: str | None = None
    incident_channel: str | None = None
    request_topics: str | None = None
    opened_at: datetime | None = None
    first_contact_tenths: int | None = None  # working time to first_contact_at (engine.statistics.durations)


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
                "first_contact_tenths",
                "closed_at",
                *CASE_PROJECTION,
            )
        }
    )
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
    facts = _case_facts(ctx.calendar, case, instance, now, completion)
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
    for name in ("status", "first_contact_at", "first_contact_tenths", "closed_at", *CASE_PROJECTION):
        setattr(case, name, facts[name])
    case.lock_version += 1
    sync_tasks(session, case, instance, now, completion, facts_moved=moved)
    return case.lock_version


def remember(ctx: EngineContext, case: CaseRecord, instance: Instance) -> None:
    """After commit: keep the live instance for the next use case on this case."""
    ctx.instances.put(case.id, case.lock_version, instance)


def _case_facts(
    office: BusinessCalendar,
    case: CaseRecord,
    instance: Instance,
    now: datetime,
    completion: Completion | None,
) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(case, name) for name in CASE_PROJECTION}
    facts.update(projected_attributes(instance.variables()))
    closing = instance.completed and case.status == "open"
    first_reply = case.first_contact_at is None and completion is not None
    tenths = case.first_contact_tenths
    if first_reply and case.opened_at is not None:
        tenths = working_tenths(office, case.opened_at, now)
    facts.update(
        status="closed" if instance.completed else case.status,
        closed_at=now if closing else case.closed_at,
        first_contact_at=now if first_reply else case.first_contact_at,
        first_contact_tenths=tenths,
        updated_at=now,
        next_timer_at=instance.next_timer_at(),
    )
    return facts
