"""What the task page shows: the task, its generated form with initial values, and the case beside it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import forms
from engine.bpmn.errors import TaskNotReady
from engine.bpmn.tasks import CompletedStep, FormSpec
from engine.cases.assessments import ASSESSMENT_STEPS, INCIDENT_CONFIRM_STEP, Answer, answers_of
from engine.cases.case_file import labelled_facts
from engine.cases.lifecycle import check_open
from engine.cases.need_to_know import require_case_access
from engine.cases.risk_lowering import PendingLowering, pending_lowering
from engine.cases.risk_rules import RuleText, rule_texts
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import NotFound
from engine.referrals.panel import ReferralPanel, referral_panel
from engine.store.case_store import case_record, load_instance, remember
from engine.store.tables import ProcessVersion, Task


@dataclass(frozen=True)
class EscalatedStep:
    """An overdue step an escalation task is about, and who is responsible for it."""

    task_id: str
    title: str
    assignee: str | None
    candidate_group: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class TaskSheet:
    task_id: str
    element_id: str
    title: str
    instructions: str | None
    candidate_group: str | None
    assignee: str | None
    due_at: datetime | None
    priority: int
    case_id: int
    reference: str
    risk_level: str | None
    facts: dict[str, str | None]
    form: FormSpec
    initial: dict[str, Any]
    earlier: tuple[tuple[CompletedStep, tuple[Answer, ...]], ...]  # (step, answers), newest first
    referrals: ReferralPanel | None = None  # proposals at Vermittlung, referrals to settle at Nachfassen
    title_en: str | None = None  # the model's English title and instructions, where it gives them
    instructions_en: str | None = None
    escalation: bool = False  # a team lead's escalation task
    escalated: tuple[EscalatedStep, ...] = ()  # on an escalation task: the case's overdue steps
    lowering: PendingLowering | None = None  # a lowered risk level waiting for a second person
    confirming: bool = False  # the step confirms a risk level: the case's level is the proposal until then
    confirmed_level: str | None = None  # while confirming: the level confirmed before (a new incident's)
    proposal: str | None = None  # while confirming: the decision table's proposal
    rule: str | None = None  # while confirming: the decision table's rule (R1-R9) and its texts
    rule_texts: tuple[RuleText, ...] = ()
    given: frozenset[str] = frozenset()  # fields the case was opened with: shown as facts, not asked again
    facts_en: dict[str, str | None] | None = None  # ``facts`` with the model's English value names

    def in_language(self, language: str) -> TaskSheet:
        """The sheet as the person reads it: in English, the facts with the model's English names."""
        if language == "en" and self.facts_en is not None:
            return replace(self, facts=self.facts_en)
        return self

    def title_in(self, language: str) -> str:
        return (self.title_en if language == "en" else None) or self.title

    def instructions_in(self, language: str) -> str | None:
        return (self.instructions_en if language == "en" else None) or self.instructions


def read_task_sheet(
    ctx: EngineContext,
    actor: Actor,
    task_id: str,
    now: datetime | None = None,
    needs: tuple[str, ...] = (),
    woman: bool | None = None,
    search: str = "",
    keep: tuple[int, ...] = (),
) -> TaskSheet:
    """Raises NotFound, NotPermitted, TaskAlreadyCompleted or TaskCancelled.

    ``needs`` and ``woman`` refine the referral proposals (what the counsellor learnt in the call);
    ``search`` looks for further directory entries, ``keep`` shows entries already chosen.
    """
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = session.get(Task, task_id)
        if row is None:
            raise NotFound("Aufgabe/Task", task_id)
        require_case_access(session, actor, row.case_id)
        check_open(row)
        record = case_record(session, row.case_id)
        instance = load_instance(ctx, session, record)
        try:
            form = instance.form_for(task_id)
            human = next((t for t in instance.human_tasks() if t.id == task_id), None)
        except TaskNotReady:
            raise NotFound("Aufgabe/Task", task_id) from None
        finally:
            remember(ctx, record, instance)
        variables = instance.variables()
        steps = instance.completed_steps()
        panel = referral_panel(session, row.element_id, record, variables, needs, woman, search, keep)
        escalated = _escalated_steps(session, row) if row.escalation else ()
        confirming = row.element_id in ASSESSMENT_STEPS
        dmn = (
            session.scalar(
                select(ProcessVersion.dmn_xml).where(ProcessVersion.id == record.process_version_id)
            )
            if confirming
            else None
        )
        audit.record(session, now, actor.username, "case_viewed", row.case_id, row.element_id)
        session.commit()
    return TaskSheet(
        task_id=task_id,
        element_id=row.element_id,
        title=row.title,
        instructions=human.instructions if human else None,
        candidate_group=row.candidate_group,
        assignee=row.assignee,
        due_at=row.due_at,
        priority=row.priority,
        case_id=row.case_id,
        reference=record.reference or str(record.id),
        risk_level=record.risk_level,
        facts=labelled_facts(record, [step.form for step in steps] + [form]),
        facts_en=labelled_facts(record, [step.form for step in steps] + [form], "en"),
        form=form,
        initial={
            f.id: variables[f.id] if f.id in variables else _default(f.type, f.default) for f in form.fields
        },
        earlier=tuple((step, answers_of(step)) for step in reversed(steps)),
        referrals=panel,
        title_en=human.title_en if human else None,
        instructions_en=human.instructions_en if human else None,
        escalation=bool(row.escalation),
        escalated=escalated,
        lowering=pending_lowering(variables),
        confirming=confirming,
        confirmed_level=_level_before(variables) if row.element_id == INCIDENT_CONFIRM_STEP else None,
        proposal=variables.get("risikostufe_vorschlag") if confirming else None,
        rule=variables.get("risikoregel") if confirming else None,
        given=frozenset() if steps else _given_at_start(form, variables),
        rule_texts=rule_texts(dmn or "{}", variables.get("risikoregel")) if confirming else (),
    )


def _escalated_steps(session: Session, row: Task) -> tuple[EscalatedStep, ...]:
    """The case's open steps that are not escalations themselves: what the escalation is about."""
    found = session.execute(
        select(Task.id, Task.title, Task.assignee, Task.candidate_group, Task.due_at)
        .where(Task.case_id == row.case_id, Task.status == "open", Task.escalation.is_(False))
        .order_by(Task.due_at, Task.id)
    ).all()
    return tuple(EscalatedStep(*item) for item in found)


def _given_at_start(form: FormSpec, variables: Mapping[str, Any]) -> frozenset[str]:
    """At a case's first step: the single-valued answers the case was opened with (the contact channel
    chosen on "Neuer Fall"), which the step does not ask a second time."""
    return frozenset(
        f.id for f in form.fields if f.type == "enum" and not f.multiple and variables.get(f.id) is not None
    )


def _level_before(variables: Mapping[str, Any]) -> str | None:
    incident = variables.get("vorfall")
    return incident.get("risikostufe_bisher") if isinstance(incident, dict) else None


def _default(kind: str, default: str | None) -> Any:
    if kind == "boolean":
        return (default or "").strip().lower() == "true"
    return default


@dataclass(frozen=True)
class TaskForm:
    case_id: int
    title: str
    form: FormSpec
    submitted: Mapping[str, Any] | None = None  # the form's values as completed; None while not completed

    def repeats_submission(self, typed: Mapping[str, Any]) -> bool:
        """Whether ``typed`` is what the completed task was submitted with (a double submit); False when a
        value differs (e.g. a second tab of the same person) or the task was never completed."""
        if self.submitted is None:
            return False
        checked, errors = forms.validate(self.form, typed)
        return not errors and all(self.submitted.get(key) == value for key, value in checked.items())


def form_of_task(ctx: EngineContext, actor: Actor, task_id: str) -> TaskForm:
    """The form a task asks or asked for, in any state; read-only, for submitting and for labelling input.

    Raises NotFound for an unknown task or one without a form, and NotPermitted outside the need to know.
    """
    with ctx.unit_of_work(writes=False) as session:
        row = session.get(Task, task_id)
        if row is None:
            raise NotFound("Aufgabe/Task", task_id)
        require_case_access(session, actor, row.case_id)
        record = case_record(session, row.case_id)
        instance = load_instance(ctx, session, record)
        remember(ctx, record, instance)
        form = instance.form_of_any(task_id)
        if form is None:
            raise NotFound("Aufgabe/Task", task_id)
        done = next((step.data for step in instance.completed_steps() if step.id == task_id), None)
        submitted = None if done is None else {f.id: done.get(f.id) for f in form.fields}
        return TaskForm(row.case_id, row.title, form, submitted)
