"""Everything the case page shows, read under the need-to-know rule; each read is audited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.bpmn.deadline_chains import with_owners
from engine.bpmn.parsing import ProcessSpec
from engine.bpmn.tasks import CompletedStep, FormSpec, WaitingStep
from engine.cases.assessments import Answer, Assessment, answers_of, case_assessments
from engine.cases.need_to_know import require_case_access
from engine.cases.notes import Note, case_notes
from engine.cases.presence import PANELS, presence_columns, present_panels
from engine.cases.retention import PURGED_STATE
from engine.cases.risk_lowering import PendingLowering, pending_lowering
from engine.cases.step_failures import FailureView, failures_of_case
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import CasePurged, NotFound
from engine.referrals.recording import ReferralEntry, case_referrals
from engine.store.case_store import RECORD_COLUMNS, CaseRecord, load_instance, record_from_row, remember
from engine.store.projection import CASE_PROJECTION
from engine.store.tables import AuditEvent, Case, ProcessVersion, Task
from engine.strafantrag.periods import OffenceEntry, case_offences

VIEWED = "case_viewed"
PANELS_ALL = frozenset(PANELS)  # the audit action of a view of the case page


@dataclass(frozen=True)
class TaskEntry:
    id: str
    element_id: str
    title: str
    status: str
    candidate_group: str | None
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    answers: tuple[Answer, ...]
    title_en: str | None = None  # the model's English name of the step (name_en), if any


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    detail: str | None


@dataclass(frozen=True)
class CaseFile:
    id: int
    reference: str
    status: str
    risk_level: str | None
    facts: dict[str, str | None]  # with the model's German value names; facts_en with its English ones
    facts_en: dict[str, str | None]
    opened_at: datetime
    closed_at: datetime | None
    escalated: bool
    process: str
    tasks: tuple[TaskEntry, ...]
    assessments: tuple[Assessment, ...]
    offences: tuple[OffenceEntry, ...]
    notes: tuple[Note, ...]
    timeline: tuple[TimelineEntry, ...]
    views: int
    active_elements: frozenset[str]
    done_elements: frozenset[str]
    referrals: tuple[ReferralEntry, ...] = ()
    legal_hold: bool = False
    failures: tuple[FailureView, ...] = ()  # steps model code could not run ("Störungen"), unresolved
    waiting: tuple[WaitingStep, ...] = ()  # timers the case waits at outside any task
    lowering: PendingLowering | None = None  # a lowered risk level waiting for a second person
    present: frozenset[str] = PANELS_ALL  # panels with rows (engine.cases.presence); unknown: all

    def in_language(self, language: str) -> CaseFile:
        """The case as the person reads it: in English, the facts and steps with the model's English names."""
        if language != "en":
            return self
        tasks = tuple(replace(task, title=task.title_en or task.title) for task in self.tasks)
        return replace(self, facts=self.facts_en, tasks=tasks)

    @property
    def open_tasks(self) -> list[TaskEntry]:
        return [task for task in self.tasks if task.status == "open"]

    @property
    def closed_tasks(self) -> list[TaskEntry]:
        return [task for task in self.tasks if task.status != "open"]


def read_case_file(ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None) -> CaseFile:
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        audit.record(session, now, actor.username, VIEWED, case_id, None)
        session.commit()
    with ctx.unit_of_work(writes=False) as session:
        return _assemble(ctx, session, case_id)


def case_bpmn(ctx: EngineContext, actor: Actor, case_id: int) -> bytes:
    """The BPMN (UTF-8) of the process version the case runs on, for the diagram on the case page."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        version_id = session.scalar(select(Case.process_version_id).where(Case.id == case_id))
        if version_id is None:
            raise NotFound("Fall/Case", case_id)
        return ctx.diagram(session, version_id)


def labelled_facts(record: CaseRecord, forms: list[FormSpec], language: str = "de") -> dict[str, str | None]:
    """The projected facts (land, office, channel) with the labels the model's forms give their codes, in
    ``language`` where the model has it (``label_en.<value>``)."""
    facts: dict[str, str | None] = {}
    for column in ("land", "office_type", "contact_channel"):
        code = getattr(record, column)
        label = None
        for form in forms:
            field = form.field(CASE_PROJECTION[column])
            if field is not None and code is not None:
                name = dict(field.options).get(code)
                label = field.option_in(code, name, language) if name is not None else label
        facts[column] = label or code
    return facts


_VIEWS = (
    select(func.count()).where(AuditEvent.case_id == Case.id, AuditEvent.action == VIEWED).scalar_subquery()
)
_HEAD = (Case.opened_at, Case.legal_hold, _VIEWS, ProcessVersion.name, ProcessVersion.version)
# built once: SQLAlchemy keeps a statement object's cache key, which is costly to work out for this one
_CASE_ROW = (
    select(*RECORD_COLUMNS, *_HEAD, *presence_columns(Case.id))
    .join(ProcessVersion, ProcessVersion.id == Case.process_version_id, isouter=True)
    .where(Case.id == bindparam("case_id"))
)


def _assemble(ctx: EngineContext, session: Session, case_id: int) -> CaseFile:
    found = session.execute(_CASE_ROW, {"case_id": case_id}).first()
    if found is None:
        raise NotFound("Fall/Case", case_id)
    columns, head = len(RECORD_COLUMNS), len(_HEAD)
    record = record_from_row(found[:columns])
    opened_at, legal_hold, view_count, process_name, process_number = found[columns : columns + head]
    present = present_panels(found[columns + head :])
    if record.state == PURGED_STATE:
        raise CasePurged(record.reference)
    instance = load_instance(ctx, session, record)
    remember(ctx, record, instance)
    steps = {step.id: step for step in instance.completed_steps()}
    active, done = with_owners(
        *instance.element_states(), {task for task, _ in instance.process.user_tasks()}
    )
    return CaseFile(
        id=case_id,
        reference=record.reference or str(case_id),
        status=record.status,
        risk_level=record.risk_level,
        facts=labelled_facts(record, [step.form for step in steps.values()]),
        facts_en=labelled_facts(record, [step.form for step in steps.values()], "en"),
        opened_at=opened_at,
        closed_at=record.closed_at,
        escalated=record.escalated,
        process=f"{process_name} v{process_number}" if process_name is not None else "?",
        tasks=_tasks(session, case_id, steps, _english_names(instance.process)),
        timeline=_timeline(session, case_id),
        views=view_count,
        active_elements=active,
        done_elements=done,
        legal_hold=bool(legal_hold),
        waiting=tuple(instance.waiting_steps()),
        lowering=pending_lowering(instance.variables()),
        present=present,
        **_panels(ctx, session, case_id, present),
    )


def _tasks(
    session: Session, case_id: int, steps: dict[str, CompletedStep], english: dict[tuple[str, str], str]
) -> tuple[TaskEntry, ...]:
    rows = session.scalars(
        select(Task).where(Task.case_id == case_id).order_by(Task.created_at, Task.id)
    ).all()
    return tuple(
        _task_entry(row, steps.get(row.id), english.get((row.element_id, row.title))) for row in rows
    )


def _timeline(session: Session, case_id: int) -> tuple[TimelineEntry, ...]:
    """What happened to the case; its views only as their count (a case is viewed far more often than
    changed, and each view is an audit row)."""
    events = session.execute(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.case_id == case_id, AuditEvent.action != VIEWED)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return tuple(TimelineEntry(*event) for event in events)


def _panels(ctx: EngineContext, session: Session, case_id: int, present: frozenset[str]) -> dict[str, Any]:
    """The case file's own panels, each read only where the case has rows for it."""
    return {
        "assessments": case_assessments(ctx, session, case_id) if "assessments" in present else (),
        "offences": tuple(case_offences(session, case_id)) if "offences" in present else (),
        "notes": tuple(case_notes(ctx, session, case_id)) if "notes" in present else (),
        "referrals": tuple(case_referrals(session, case_id)) if "referrals" in present else (),
        "failures": tuple(failures_of_case(session, case_id)) if "failures" in present else (),
    }


def _english_names(process: ProcessSpec) -> dict[tuple[str, str], str]:
    """(element id, German name) → English name of the model's user tasks: a task row whose title is not
    this version's name of its element (an older version's) keeps its title."""
    english = process.english_names()
    return {(element, name): english[element] for element, name in process.user_tasks() if element in english}


def _task_entry(row: Task, step: CompletedStep | None, title_en: str | None = None) -> TaskEntry:
    return TaskEntry(
        id=row.id,
        element_id=row.element_id,
        title=row.title,
        status=row.status,
        candidate_group=row.candidate_group,
        assignee=row.assignee,
        created_at=row.created_at,
        due_at=row.due_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
        answers=answers_of(step) if step is not None else (),
        title_en=title_en,
    )
