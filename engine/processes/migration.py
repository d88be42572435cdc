"""Moving running cases to another version of their process: a dry run, then a bulk migration.

The difference between the two versions is computed once per call and applied to every case. A case
moves only if nothing it already did was changed or removed and its open steps still exist; the dry
run says which cases can move, why the others cannot, and the deadlines their open tasks would get.
The migration moves each chosen case in its own transaction, under the optimistic lock of the dry
run, re-syncs the task projection and writes the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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

# What a changed attribute means, for people (German, English).
CHANGE_NAMES: dict[str, tuple[str, str]] = {
    "form": ("Formular", "form"),
    "script": ("Skript", "script"),
    "cond_task_specs": ("Bedingungen", "conditions"),
    "default_task_spec": ("Standardfluss", "default flow"),
    "event_definition": ("Ereignis", "event"),
    "decision_table": ("Entscheidungstabelle", "decision table"),
    "typename": ("Elementart", "element type"),
    "extensions": ("Erweiterungen", "extensions"),
}


class MigrationNotPossible(DomainError):
    """The chosen versions cannot be used for a migration; nothing was changed."""

    code = "migration_not_possible"

    def __init__(self, german: str, english: str) -> None:
        super().__init__(german, english)


@dataclass(frozen=True)
class VersionChoice:
    """A deployed process version and how many open cases run on it."""

    id: int
    key: str
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str
    open_cases: int


@dataclass(frozen=True)
class Refusal:
    """Why a case cannot (or could not) move, in German and English."""

    kind: str
    element_id: str | None = None
    element_name: str | None = None
    changes: tuple[str, ...] = ()
    detail: str | None = None

    def message(self, language: str = "de") -> str:
        german, english = self._sentences()
        return german if language == "de" else english

    def _sentences(self) -> tuple[str, str]:
        name = f"{self.element_name} ({self.element_id})" if self.element_name else (self.element_id or "")
        changes_de = ", ".join(CHANGE_NAMES.get(c, (c, c))[0] for c in self.changes)
        changes_en = ", ".join(CHANGE_NAMES.get(c, (c, c))[1] for c in self.changes)
        if self.kind == "completed_removed":
            return (
                f"Der bereits erledigte Schritt „{name}“ fehlt in der Zielversion.",
                f"The completed step “{name}” no longer exists in the target version.",
            )
        if self.kind == "completed_changed":
            return (
                f"Der bereits erledigte Schritt „{name}“ wurde geändert ({changes_de}).",
                f"The completed step “{name}” was changed ({changes_en}).",
            )
        if self.kind == "open_removed":
            return (
                f"Der offene Schritt „{name}“ fehlt in der Zielversion.",
                f"The open step “{name}” no longer exists in the target version.",
            )
        if self.kind == "open_kind_changed":
            return (
                f"Der offene Schritt „{name}“ ist in der Zielversion ein anderes Element.",
                f"The open step “{name}” is a different kind of element in the target version.",
            )
        if self.kind == "stale":
            return (
                "Der Fall wurde seit dem Probelauf geändert und nicht migriert. Bitte den Probelauf wiederholen.",
                "The case changed since the dry run and was not migrated. Please run the dry run again.",
            )
        if self.kind == "not_on_source":
            return (
                "Der Fall ist nicht mehr offen auf der Ausgangsversion und wurde nicht migriert.",
                "The case is no longer open on the source version and was not migrated.",
            )
        if self.kind == "not_found":
            return ("Diesen Fall gibt es nicht.", "There is no such case.")
        return (
            f"Die Zielversion kann den Fall nicht fortsetzen: {self.detail}",
            f"The target version cannot continue the case: {self.detail}",
        )


@dataclass(frozen=True)
class Deadline:
    """An open task of a case after the move: its due time before (None for a new task) and after."""

    element_id: str
    title: str
    due_before: datetime | None
    due_after: datetime | None
    new: bool


@dataclass(frozen=True)
class CaseCheck:
    """The dry run's verdict on one case."""

    case_id: int
    reference: str
    lock_version: int
    open_steps: tuple[str, ...]
    refusals: tuple[Refusal, ...]
    deadlines: tuple[Deadline, ...]

    @property
    def movable(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class DryRun:
    source: VersionChoice
    target: VersionChoice
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    movable: tuple[CaseCheck, ...]
    refused: tuple[CaseCheck, ...]


@dataclass(frozen=True)
class CaseMigration:
    """The outcome of the migration of one case: migrated, or why not."""

    case_id: int
    reference: str
    migrated: bool
    lock_version: int | None
    refusals: tuple[Refusal, ...] = ()


# -- reading the versions ---------------------------------------------------------------------------


def migration_versions(ctx: EngineContext) -> list[VersionChoice]:
    """Every deployed version with its number of open cases, by process and version."""
    with ctx.unit_of_work(writes=False) as session:
        counts = dict(
            session.execute(
                select(Case.process_version_id, func.count())
                .where(Case.status == "open")
                .group_by(Case.process_version_id)
            ).all()
        )
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
    with ctx.unit_of_work() as session:
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
        try:
            new_lock = update_case(ctx, session, case, instance, now)
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
