"""Use cases on cases and their tasks: open a case, claim, release and complete a task."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session

from engine.bpmn import forms
from engine.bpmn.instance import Instance, InstanceBefore
from engine.bpmn.tasks import FormSpec
from engine.cases.live_call import keep_following_steps
from engine.cases.need_to_know import require_case_access
from engine.cases.risk_lowering import SECOND_PERSON_STEPS, lowering_rule, lowering_values
from engine.cases.risk_override import override_errors
from engine.cases.step_failures import FailedStep, run_model_code
from engine.cases.task_outcomes import after_completion
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import (
    ConcurrentUpdate,
    FormInvalid,
    NotFound,
    NotPermitted,
    ProcessNotDeployed,
    TaskAlreadyCompleted,
    TaskCancelled,
    TaskClaimedByOther,
)
from engine.processes.deployment import latest_version
from engine.staff.cover import berlin_day, cover_of
from engine.store.case_store import (
    RECORD_COLUMNS,
    CaseRecord,
    Completion,
    insert_case,
    load_instance,
    record_from_row,
    remember,
    update_case,
)
from engine.store.tables import Case, Staff, Task

DEFAULT_PROCESS = "fallbearbeitung"


@dataclass(frozen=True)
class OpenedCase:
    case_id: int
    reference: str
    lock_version: int


def open_case(
    ctx: EngineContext,
    actor: Actor,
    variables: Mapping[str, Any] | None = None,
    process_key: str = DEFAULT_PROCESS,
    now: datetime | None = None,
    alongside: Callable[[Session, int], None] | None = None,
) -> OpenedCase:
    """Start a new case on the latest version of the process; no name or identity is needed.

    ``alongside`` records more about the new case (by its id) in the same transaction."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        version = latest_version(session, process_key)
        if version is None:
            raise ProcessNotDeployed(process_key)
        version_id, version_number = version.id, version.version
        process = ctx.process(session, version_id)
    # the model code of the first steps runs before anything is written (no write lock while it runs)
    instance = run_model_code(
        ctx,
        FailedStep("opening", version_id),
        process,
        lambda: ctx.runtime.start(process, dict(variables or {})),
        actor.username,
        now,
    )
    with ctx.unit_of_work() as session:
        case = insert_case(ctx, session, version_id, instance, now, actor.username)
        audit.record(session, now, actor.username, "case_opened", case.id, f"v{version_number}")
        if alongside is not None:
            alongside(session, case.id)
        session.commit()
    remember(ctx, case, instance)
    return OpenedCase(case.id, case.reference or "", case.lock_version)


def complete_task(
    ctx: EngineContext,
    actor: Actor,
    task_id: str,
    values: Mapping[str, Any],
    now: datetime | None = None,
    alongside: StepAddition | None = None,
) -> int:
    """Complete a human task with the submitted form values; returns the case's new lock version.

    Raises FormInvalid (nothing changes), TaskAlreadyCompleted / TaskCancelled when the task the person
    saw is gone, TaskClaimedByOther, or NotPermitted. ``alongside`` does a step's own work (e.g. recording
    referrals) in the same transaction and returns the form values to validate; its errors change nothing.
    """
    return submit_task(ctx, actor, task_id, lambda _form: values, now, alongside).lock_version


@dataclass(frozen=True)
class Completed:
    case_id: int
    title: str
    lock_version: int
    next_task_id: str | None  # the case's open task the person would naturally do next, if any


FormReader = Callable[[FormSpec], Mapping[str, Any]]


def submit_task(
    ctx: EngineContext,
    actor: Actor,
    task_id: str,
    read: FormReader,
    now: datetime | None = None,
    alongside: StepAddition | None = None,
) -> Completed:
    """``complete_task`` for a submitted form: ``read`` takes the values against the task's own form, and
    the answer names the task to go on with (errors as in ``complete_task``, and StepFailed when the
    model code fails). Evaluate, then write: the model code runs between a read and a short write
    transaction that stores the step only if nobody changed the case meanwhile."""
    now = now or ctx.clock.now()
    # 1. read (no write lock): the task, the case, its instance and the form's values
    with ctx.unit_of_work(writes=False) as session:
        row, case = _open_task_and_case(session, actor, task_id)
        _check_may_work_on(actor, row)
        instance = load_instance(ctx, session, case)
        form = instance.form_for(task_id)
        typed = dict(read(form))
        four_eyes = lowering_rule(session, actor, row.element_id, instance.task_data(task_id))
    if alongside is not None and row.element_id not in alongside.elements:
        alongside = None  # nothing to do beside this step
    values, before = typed, instance
    if alongside is not None:
        before = cast(Instance, InstanceBefore(instance))  # what the step's own work reads of the case
        values = _rehearse(ctx, alongside, row, case, before, typed, now)
    checked, errors = forms.validate(form, values)
    errors.update(override_errors(row.element_id, instance.task_data(task_id), checked, errors))
    if errors:
        raise FormInvalid(errors)
    checked.update(
        lowering_values(row.element_id, instance.task_data(task_id), checked, four_eyes, actor.username)
    )
    # 2. the model code, outside any transaction; a failure is recorded and nothing of the step written
    seen = case.lock_version
    ready_before = instance.ready_at_load
    where = FailedStep("task", case.process_version_id, case.id, seen)

    def step() -> None:
        instance.complete(task_id, checked)
        instance.advance()

    run_model_code(ctx, where, instance.process, step, actor.username, now)
    # 3. a short write: the step's own work, the new state if nobody changed the case meanwhile
    try:
        with ctx.unit_of_work() as session:
            again, _ = _open_task_and_case(session, actor, task_id)
            _check_may_work_on(actor, again)  # not claimed meanwhile
            if alongside is not None and alongside(session, row, case, before, typed, now) != values:
                raise ConcurrentUpdate(case.reference)  # what the step's own work found changed meanwhile
            lock_version = update_case(ctx, session, case, instance, now, Completion(task_id, actor.username))
            audit.record(session, now, actor.username, "task_completed", case.id, row.element_id)
            after_completion(ctx, session, case.id, instance, row.element_id, task_id, actor.username, now)
            new_tasks = instance.ready_at_load - ready_before
            keep_following_steps(session, actor, case.id, row.assignee, new_tasks, now)
            following = session.scalar(_next_task(actor), _next_task_parameters(actor, case.id))
            session.commit()
    except ConcurrentUpdate:
        case.lock_version = seen
        raise _why_task_is_gone(ctx, task_id) from None
    remember(ctx, case, instance)
    return Completed(case.id, row.title, lock_version, following)


def _rehearse(
    ctx: EngineContext,
    alongside: StepAddition,
    row: TaskFacts,
    case: CaseRecord,
    instance: Instance,
    typed: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The values the step's own work gives, found in a transaction that is rolled back (it runs no
    model code); the write after the engine step does that work again and must find the same values."""
    with ctx.unit_of_work() as session:
        values = dict(alongside(session, row, case, instance, dict(typed), now))
        session.rollback()
    return values


def claim_task(ctx: EngineContext, actor: Actor, task_id: str, now: datetime | None = None) -> None:
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = _open_task(session, actor, task_id)
        if not (actor.is_team_lead or row.candidate_group in actor.groups or row.assignee == actor.username):
            raise NotPermitted("claim")
        claimed = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == "open")
            .where((Task.assignee.is_(None)) | (Task.assignee == actor.username))
            .values(assignee=actor.username)
        )
        if claimed.rowcount != 1:
            session.rollback()
            raise _why_task_is_gone(ctx, task_id)
        audit.record(session, now, actor.username, "task_claimed", row.case_id, row.element_id)
        session.commit()


def release_task(ctx: EngineContext, actor: Actor, task_id: str, now: datetime | None = None) -> None:
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = _open_task(session, actor, task_id)
        if row.assignee != actor.username and not actor.is_team_lead:
            raise NotPermitted("release")
        session.execute(update(Task).where(Task.id == task_id, Task.status == "open").values(assignee=None))
        audit.record(session, now, actor.username, "task_released", row.case_id, row.element_id)
        session.commit()


def next_task_for(ctx: EngineContext, actor: Actor, case_id: int) -> str | None:
    """The open task of this case the actor would naturally do next: theirs, or one for their groups."""
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(_next_task(actor), _next_task_parameters(actor, case_id))


def _next_task(actor: Actor) -> Select[tuple[str]]:
    found = _NEXT_TASK.get(bool(actor.groups))
    if found is None:
        mine = Task.assignee == bindparam("username")
        if actor.groups:
            groups = Task.candidate_group.in_(bindparam("groups", expanding=True))
            mine = mine | (Task.assignee.is_(None) & groups)
        found = _NEXT_TASK[bool(actor.groups)] = (
            select(Task.id)
            .where(Task.case_id == bindparam("case_id"), Task.status == "open", mine)
            .where(Task.element_id.not_in(SECOND_PERSON_STEPS))  # not the lowering's own confirmation
            .order_by(Task.priority.desc(), Task.created_at, Task.id)
            .limit(1)
        )
    return found


_NEXT_TASK: dict[bool, Select[tuple[str]]] = {}  # by whether the person has groups


def _next_task_parameters(actor: Actor, case_id: int) -> dict[str, Any]:
    found: dict[str, Any] = {"case_id": case_id, "username": actor.username}
    if actor.groups:
        found["groups"] = sorted(actor.groups)
    return found


def reassign_task(
    ctx: EngineContext, actor: Actor, task_id: str, assignee: str | None, now: datetime | None = None
) -> None:
    """Team leads hand an open task to a colleague (or back to the group with ``None``)."""
    now = now or ctx.clock.now()
    if not actor.is_team_lead:
        raise NotPermitted("reassign")
    with ctx.unit_of_work() as session:
        row = _open_task(session, actor, task_id)
        if assignee is not None:
            assignee = cover_of(session, assignee, berlin_day(now)) or assignee  # away: to the cover
            _require_candidate(session, assignee, row.candidate_group)
        session.execute(
            update(Task).where(Task.id == task_id, Task.status == "open").values(assignee=assignee)
        )
        audit.record(
            session,
            now,
            actor.username,
            "task_reassigned",
            row.case_id,
            f"{row.element_id}→{assignee or '-'}",
        )
        session.commit()


def _require_candidate(session: Session, username: str, group: str | None) -> None:
    roles = session.scalar(select(Staff.roles).where(Staff.username == username, Staff.active.is_(True)))
    if roles is None:
        raise NotFound("Mitarbeiter:in/Staff member", username)
    if group is not None and group not in roles.split():
        raise NotPermitted(f"assign to {username}: not in group {group}")


def _open_task(session: Session, actor: Actor, task_id: str) -> Task:
    """The task, if the actor may know of its case (else OutsideNeedToKnow, before a word about the task)
    and it is still open."""
    row = session.get(Task, task_id)
    if row is None:
        raise NotFound("Aufgabe/Task", task_id)
    require_case_access(session, actor, row.case_id)
    check_open(row)
    return row


def check_open(row: Task | TaskFacts) -> None:
    """Raise TaskAlreadyCompleted or TaskCancelled, naming who and when, for a task that is not open."""
    gone: TaskAlreadyCompleted | TaskCancelled | None = None
    if row.status == "completed":
        gone = TaskAlreadyCompleted(row.completed_by, row.completed_at)
    elif row.status == "cancelled":
        gone = TaskCancelled(row.completed_at)
    if gone is not None:
        gone.facts["case_id"] = row.case_id
        raise gone


@dataclass(frozen=True)
class TaskFacts:
    """The projection row of a task, as a use case checks it."""

    id: str
    case_id: int
    element_id: str
    title: str
    candidate_group: str | None
    assignee: str | None
    status: str
    completed_at: datetime | None
    completed_by: str | None


class StepAddition(Protocol):
    """A step's own work beside completing its task (recording referrals): written in the completing
    transaction, returning the form values to validate. Called only for the elements it names."""

    elements: frozenset[str]

    def __call__(
        self,
        session: Session,
        task: TaskFacts,
        case: CaseRecord,
        instance: Instance,
        values: dict[str, Any],
        now: datetime,
    ) -> Mapping[str, Any]: ...


_TASK_COLUMNS = [getattr(Task, f) for f in TaskFacts.__dataclass_fields__]
_TASK_AND_CASE = (
    select(*_TASK_COLUMNS, *RECORD_COLUMNS)
    .join_from(Task, Case, Case.id == Task.case_id)
    .where(Task.id == bindparam("task_id"))
)


def _open_task_and_case(session: Session, actor: Actor, task_id: str) -> tuple[TaskFacts, CaseRecord]:
    found = session.connection().execute(_TASK_AND_CASE, {"task_id": task_id}).first()
    if found is None:
        raise NotFound("Aufgabe/Task", task_id)
    split = len(_TASK_COLUMNS)
    row = TaskFacts(*found[:split])
    require_case_access(session, actor, row.case_id)
    check_open(row)
    return row, record_from_row(found[split:])


def _check_may_work_on(actor: Actor, row: TaskFacts) -> None:
    mine = row.assignee == actor.username or row.assignee in actor.covering  # a cover works for the absent
    if row.assignee and not mine and not actor.is_team_lead:
        raise TaskClaimedByOther(row.assignee)
    if not row.assignee and row.candidate_group not in actor.groups and not actor.is_team_lead:
        raise NotPermitted("complete")


def _why_task_is_gone(ctx: EngineContext, task_id: str) -> Exception:
    """After a lost race: tell who completed or claimed the task, from a fresh read."""
    with ctx.unit_of_work(writes=False) as session:
        row = session.get(Task, task_id)
        if row is None:
            return NotFound("Aufgabe/Task", task_id)
        if row.status == "completed":
            return TaskAlreadyCompleted(row.completed_by, row.completed_at)
        if row.status == "cancelled":
            return TaskCancelled(row.completed_at)
        if row.assignee:
            return TaskClaimedByOther(row.assignee)
        reference = session.scalar(select(Case.reference).where(Case.id == row.case_id))
        return ConcurrentUpdate(reference)
