"""Moving running cases to another version of their process: a dry run, then a bulk migration.

The difference between the two versions is computed once per call and applied to every case. A case
moves only if nothing it already did was changed or removed and its open steps still exist; the dry
run says which cases can move, why the others cannot, and the deadlines their open tasks would get.
The migration moves each chosen case in its own transaction, under the optimistic lock of the dry
run, re-syncs the task projection and writes the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from engine.bpmn.clock import clock_at
from engine.bpmn.errors import ExecutionError
from engine.bpmn.instance import Instance
from engine.bpmn.migration import (
    MigrationObstacle,
    VersionDiff,
    migrate_instance,
    migration_obstacles,
    version_diff,
)
from engine.bpmn.tasks import HumanTask
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import ConcurrentUpdate, DomainError
from engine.processes.deployment import open_cases_by_version
from engine.processes.migration_report import (
    CaseCheck,
    CaseMigration,
    Deadline,
    DryRun,
    Refusal,
    VersionChoice,
)
from engine.store.case_store import (
    RECORD_COLUMNS,
    CaseRecord,
    binding,
    load_instance,
    record_from_row,
    remember,
    update_case,
)
from engine.store.tables import Case, ProcessVersion, Task

BATCH = 500


class MigrationNotPossible(DomainError):
    """The chosen versions cannot be used for a migration; nothing was changed."""

    code = "migration_not_possible"

    def __init__(self, german: str, english: str) -> None:
        super().__init__(german, english)


# -- reading the versions ---------------------------------------------------------------------------


def migration_versions(ctx: EngineContext) -> list[VersionChoice]:
    """Every deployed version with its number of open cases, by process and version."""
    with ctx.unit_of_work(writes=False) as session:
        counts = open_cases_by_version(session)
        rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version))
        return [_choice(row, counts.get(row.id, 0)) for row in rows]


def _choice(row: ProcessVersion, open_cases: int) -> VersionChoice:
    return VersionChoice(row.id, row.key, row.version, row.name, row.deployed_at, row.deployed_by, open_cases)


def _pair(session: Session, source_id: int, target_id: int) -> tuple[ProcessVersion, ProcessVersion]:
    source = session.get(ProcessVersion, source_id)
    target = session.get(ProcessVersion, target_id)
    if source is None or target is None:
        missing = source_id if source is None else target_id
        raise MigrationNotPossible(
            f"Die Prozessversion {missing} gibt es nicht.", f"There is no process version {missing}."
        )
    if source.id == target.id:
        raise MigrationNotPossible(
            "Ausgangs- und Zielversion sind dieselbe; wählen Sie zwei verschiedene Versionen.",
            "Source and target are the same version; choose two different versions.",
        )
    if source.key != target.key:
        raise MigrationNotPossible(
            f"Fälle von {source.key} können nicht zu {target.key} wechseln: das ist ein anderer Prozess.",
            f"Cases of {source.key} cannot move to {target.key}: that is a different process.",
        )
    return source, target


def _open_cases(session: Session, version_id: int) -> int:
    return session.scalar(
        select(func.count()).where(Case.process_version_id == version_id, Case.status == "open")
    )


def _diff(ctx: EngineContext, session: Session, source_id: int, target_id: int) -> VersionDiff:
    return version_diff(ctx.runtime, ctx.process(session, source_id), ctx.process(session, target_id))


# -- the dry run --------------------------------------------------------------------------------------


def dry_run(ctx: EngineContext, source_id: int, target_id: int, now: datetime | None = None) -> DryRun:
    """Which open cases of the source version can move to the target, why not, and their new deadlines.

    Reads only: every case is moved in memory and thrown away.
    """
    now = now or ctx.clock.now()
    movable: list[CaseCheck] = []
    refused: list[CaseCheck] = []
    with ctx.unit_of_work(writes=False) as session:
        source, target = _pair(session, source_id, target_id)
        source_choice = _choice(source, _open_cases(session, source.id))
        target_choice = _choice(target, _open_cases(session, target.id))
        diff = _diff(ctx, session, source.id, target.id)
        for case in cases_on(session, source.id):
            instance = ctx.runtime.load(ctx.vault.open(case.state, binding(case.id)), diff.source)
            check = check_case(diff, case, instance, now)
            (movable if check.movable else refused).append(check)
    added, removed, changed = diff.elements()
    return DryRun(
        source_choice,
        target_choice,
        tuple(added),
        tuple(removed),
        tuple(changed),
        tuple(movable),
        tuple(refused),
    )


def cases_on(session: Session, version_id: int) -> Iterable[CaseRecord]:
    """The open cases of a version, in batches by id."""
    last = 0
    while True:
        rows = session.execute(
            select(*RECORD_COLUMNS)
            .where(Case.process_version_id == version_id, Case.status == "open", Case.id > last)
            .order_by(Case.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            yield record_from_row(row)
        last = rows[-1].id


def check_case(diff: VersionDiff, case: CaseRecord, instance: Instance, now: datetime) -> CaseCheck:
    """Move the loaded instance in memory (it is changed) and tell whether and how the case would move."""
    before = {task.id: task for task in instance.human_tasks()}
    steps = tuple(dict.fromkeys(task.title for task in before.values()))
    refusals = _move(diff, instance, now)
    if refusals:
        return CaseCheck(case.id, case.reference or "", case.lock_version, steps, refusals, ())
    return CaseCheck(
        case.id,
        case.reference or "",
        case.lock_version,
        steps,
        (),
        tuple(_deadline(task, before.get(task.id)) for task in instance.human_tasks()),
        case.risk_level,
    )


def _move(diff: VersionDiff, instance: Instance, now: datetime) -> tuple[Refusal, ...]:
    obstacles = migration_obstacles(instance, diff)
    if obstacles:
        return tuple(_refusal(obstacle) for obstacle in obstacles)
    try:
        migrate_instance(instance, diff)
        with clock_at(now):
            instance.advance()
    except (ExecutionError, ValueError) as error:
        return (Refusal("execution_failed", getattr(error, "element_id", None), detail=str(error)[:300]),)
    return ()


def _refusal(obstacle: MigrationObstacle) -> Refusal:
    return Refusal(obstacle.kind, obstacle.element_id, obstacle.element_name, obstacle.changes)


def _deadline(task: HumanTask, before: HumanTask | None) -> Deadline:
    return Deadline(
        task.element_id,
        task.title,
        before.due_at if before is not None else None,
        task.due_at,
        before is None,
    )


# -- the migration ------------------------------------------------------------------------------------

_RESYNC_TASK = (
    update(Task.__table__)
    .where(Task.id == bindparam("task_id"), Task.status == "open")
    .values(
        element_id=bindparam("m_element_id"),
        title=bindparam("m_title"),
        candidate_group=bindparam("m_candidate_group"),
        due_at=bindparam("m_due_at"),
        follow_up_at=bindparam("m_follow_up_at"),
        priority=bindparam("m_priority"),
        escalation=bindparam("m_escalation"),
    )
)
_MOVE_CASE = (
    update(Case.__table__)
    .where(Case.id == bindparam("case_id"))
    .values(process_version_id=bindparam("m_version_id"))
)


def migrate_cases(
    ctx: EngineContext,
    actor: str,
    source_id: int,
    target_id: int,
    seen: Mapping[int, int],
    now: datetime | None = None,
) -> list[CaseMigration]:
    """Move the chosen cases (case id -> lock version seen in the dry run), each in its own transaction.

    A case that changed since the dry run, left the source version, or cannot move (any more) is
    reported and left as it is.
    """
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        source, target = _pair(session, source_id, target_id)
        diff = _diff(ctx, session, source.id, target.id)
        detail = f"{source.key} v{source.version}→v{target.version}"
    return [
        _migrate_one(ctx, actor, diff, source.id, target.id, case_id, lock_version, detail, now)
        for case_id, lock_version in sorted(seen.items())
    ]


def _migrate_one(
    ctx: EngineContext,
    actor: str,
    diff: VersionDiff,
    source_id: int,
    target_id: int,
    case_id: int,
    lock_version: int,
    detail: str,
    now: datetime,
) -> CaseMigration:
    # evaluate, then write: the moved instance's engine steps (model code) run outside any transaction
    with ctx.unit_of_work(writes=False) as session:
        row = session.execute(select(*RECORD_COLUMNS).where(Case.id == case_id)).first()
        if row is None:
            return CaseMigration(case_id, "", False, None, (Refusal("not_found"),))
        case = record_from_row(row)
        reference = case.reference or ""
        if case.process_version_id != source_id or case.status != "open":
            return CaseMigration(case_id, reference, False, case.lock_version, (Refusal("not_on_source"),))
        if case.lock_version != lock_version:
            return CaseMigration(case_id, reference, False, case.lock_version, (Refusal("stale"),))
        instance = load_instance(ctx, session, case)
    kept_before = instance.ready_at_load
    refusals = _move(diff, instance, now)
    if refusals:
        return CaseMigration(case_id, reference, False, case.lock_version, refusals)
    with ctx.unit_of_work() as session:
        try:
            new_lock = update_case(ctx, session, case, instance, now)  # only if nobody changed the case
        except ConcurrentUpdate:
            return CaseMigration(case_id, reference, False, None, (Refusal("stale"),))
        connection = session.connection()
        connection.execute(_MOVE_CASE, {"case_id": case.id, "m_version_id": target_id})
        kept = [task for task in instance.human_tasks() if task.id in kept_before]
        if kept:
            connection.execute(_RESYNC_TASK, [_resync_row(task) for task in kept])
        audit.record(session, now, actor, "case_migrated", case.id, detail)
        session.commit()
    remember(ctx, case, instance)
    return CaseMigration(case_id, reference, True, new_lock)


def _resync_row(task: HumanTask) -> dict[str, object]:
    return {
        "task_id": task.id,
        "m_element_id": task.element_id,
        "m_title": task.title,
        "m_candidate_group": task.candidate_group,
        "m_due_at": task.due_at,
        "m_follow_up_at": task.follow_up_at,
        "m_priority": task.priority,
        "m_escalation": task.escalation,
    }
