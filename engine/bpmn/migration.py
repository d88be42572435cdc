"""The BPMN engine facade: the only module of Lotse that imports SpiffWorkflow.

It parses process models (Camunda 7 dialect) into specs, runs case instances in the
sandboxed script environment under the engine's clock, describes human tasks and their
forms as plain data, and serializes instances *without* their spec. Serialization is
incremental: an instance keeps the JSON fragment of every task it has written and
re-encodes only tasks that changed since, so the cost of a step does not grow with the
size of the model.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway, IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess as EventSubprocessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaIntermediateThrowEventParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, Form, FormField
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.files import ModelError, ModelProblem, parse_model_xml
from engine.kernel.clock import require_aware

SERIALIZER_VERSION = f"lotse-2+spiff-{SPIFF_SERIALIZER_VERSION}"
STATE_MARKER = "lotse-state-2"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ESCALATION_PROPERTY = "lotse:escalation"
# An element with lotse:effect asks Lotse to act when the process passes it (see ``Effect``).
EFFECT_PROPERTY = "lotse:effect"
TARGET_PROPERTY = "lotse:ziel"
VARIABLES_PROPERTY = "lotse:variablen"
EFFECTS = ("erinnerung", "eskalation", "fristen")
ESCALATED_PRIORITY = 95
CAMUNDA_TASK_ATTRIBUTES = (
    "candidateGroups",
    "candidateUsers",
    "assignee",
    "dueDate",
    "followUpDate",
    "priority",
)

# --------------------------------------------------------------------------------------------
# The engine clock. SpiffWorkflow's timers read datetime.now(); we make them read ours.
# --------------------------------------------------------------------------------------------

_engine_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "lotse_engine_now", default=None
)


def current_time() -> datetime:
    """The instant the engine is working at: the step's clock, or the wall clock outside a step."""
    return _engine_now.get() or datetime.now(UTC)


_REACHED = timedelta(microseconds=1)


class _ClockedDatetime(datetime):
    """What SpiffWorkflow's timers see as now: the engine clock.

    SpiffWorkflow fires a timer only when its due instant is strictly before now; Lotse treats the
    due instant itself as reached, so the timers see the clock one microsecond ahead.
    """

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        moment = current_time() + _REACHED
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


spiff_timer.datetime = _ClockedDatetime  # type: ignore[misc]


@contextlib.contextmanager
def clock_at(now: datetime) -> Iterator[None]:
    token = _engine_now.set(require_aware(now).astimezone(UTC))
    try:
        yield
    finally:
        _engine_now.reset(token)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ExecutionError(Exception):
    """A model expression or script failed while a case was running."""

    def __init__(self, element_id: str | None, message: str) -> None:
        self.element_id = element_id
        super().__init__(f"[{element_id}] {message}" if element_id else message)


class TaskNotReady(Exception):
    """The task is not (or no longer) waiting for a person."""


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


class _LotseUserTaskParser(UserTaskParser):
    """Reads the Camunda 7 task attributes and forms that SpiffWorkflow's parser skips."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        extensions = dict(super().parse_extensions(node))
        for name in CAMUNDA_TASK_ATTRIBUTES:
            value = self.node.get(f"{{{CAMUNDA_NS}}}{name}")
            if value is not None and value.strip():
                extensions[f"camunda:{name}"] = value.strip()
        return extensions

    def get_form(self) -> Form:
        form = Form()
        form.key = self.node.get(f"{{{CAMUNDA_NS}}}formKey") or ""
        for xml_field in self.xpath(".//camunda:formData/camunda:formField"):
            form.add_field(self._form_field(xml_field))
        return form

    def _form_field(self, xml_field: Any) -> FormField:
        field_ = self.get_enum_field(xml_field) if xml_field.get("type") == "enum" else FormField()
        field_.id = xml_field.get("id")
        field_.type = xml_field.get("type")
        field_.label = xml_field.get("label")
        field_.default_value = xml_field.get("defaultValue")
        for child in xml_field:
            if child.tag == f"{{{CAMUNDA_NS}}}properties":
                for prop in child:
                    field_.add_property(prop.get("id") or prop.get("name"), prop.get("value"))
            if child.tag == f"{{{CAMUNDA_NS}}}validation":
                for constraint in child:
                    field_.add_validation(constraint.get("name"), constraint.get("config"))
        return field_


class _LotseThrowEventParser(CamundaIntermediateThrowEventParser):
    """Reads ``camunda:properties`` of intermediate throw events (where Lotse effects are declared)."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        return {
            prop.get("name"): prop.get("value")
            for prop in self.xpath(".//bpmn:extensionElements/camunda:properties/camunda:property")
        }


class _LotseParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        f"{{{BPMN_NS}}}userTask": (_LotseUserTaskParser, CamundaUserTask),
        f"{{{BPMN_NS}}}intermediateThrowEvent": (_LotseThrowEventParser, IntermediateThrowEvent),
    }


@dataclass
class ProcessSpec:
    """A parsed, runnable process: the top-level spec and the specs of its subprocesses."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    _forms: dict[str, FormSpec] = field(default_factory=dict, repr=False)

    def form_for(self, task_spec: Any) -> FormSpec:
        form = self._forms.get(task_spec.name)
        if form is None:
            form = _form_spec(getattr(task_spec, "form", None))
            self._forms[task_spec.name] = form
        return form

    def user_tasks(self) -> list[tuple[str, str]]:
        """(element id, name) of every user or manual task, in document order of the specs."""
        specs = [self.spec, *self.subprocess_specs.values()]
        return [
            (task.bpmn_id, task.bpmn_name or task.bpmn_id)
            for spec in specs
            for task in spec.task_specs.values()
            if getattr(task, "manual", False) and getattr(task, "bpmn_id", None)
        ]


def parse_process(bpmn_xml: bytes, dmn_xmls: Mapping[str, bytes] | None = None) -> ProcessSpec:
    """Parse one BPMN file (with its DMN files) into a ProcessSpec, or raise ModelError."""
    parser = _LotseParser()
    try:
        for name, xml in (dmn_xmls or {}).items():
            parser.add_dmn_xml(parse_model_xml(xml, name), filename=name)
        parser.add_bpmn_xml(parse_model_xml(bpmn_xml, "process.bpmn"), filename="process.bpmn")
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            raise ModelError(
                [ModelProblem(None, f"Expected exactly one executable process, found {len(process_ids)}.")]
            )
        process_id = process_ids[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ModelError:
        raise
    except ValidationException as error:
        raise ModelError([ModelProblem(getattr(error, "id", None), _first_line(error))]) from error
    except (SpiffWorkflowException, KeyError, AttributeError, etree.LxmlError) as error:
        raise ModelError([ModelProblem(None, f"The model cannot be parsed: {_first_line(error)}")]) from error
    return ProcessSpec(process_id, spec.description or process_id, spec, subprocess_specs)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0]


# --------------------------------------------------------------------------------------------
# What a model asks the sandbox to run: every expression and script, by element
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCode:
    element_id: str
    kind: str  # condition, timer, script, dmn, due_date, follow_up, priority
    source: str
    mode: str  # "eval" or "exec"


def model_code(process: ProcessSpec) -> list[ModelCode]:
    """All code a process would run, so deploy can compile each piece under the sandbox."""
    found: list[ModelCode] = []
    for spec in [process.spec, *process.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            found.extend(_task_code(task_spec))
    return found


def _task_code(task_spec: Any) -> Iterator[ModelCode]:
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        source = condition.args[0] if hasattr(condition, "args") else condition
        if source:
            yield ModelCode(element, "condition", str(source), "eval")
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, TimerEventDefinition):
        yield ModelCode(element, "timer", event_definition.expression, "eval")
    if isinstance(task_spec, ScriptEngineTask) and getattr(task_spec, "script", None):
        yield ModelCode(element, "script", task_spec.script, "exec")
    for attribute, kind in (("dueDate", "due_date"), ("followUpDate", "follow_up"), ("priority", "priority")):
        source = (getattr(task_spec, "extensions", None) or {}).get(f"camunda:{attribute}")
        if source:
            yield ModelCode(element, kind, source, "eval")
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is not None:
        yield from _decision_code(element, engine.decision_table)


def _decision_code(element: str, table: Any) -> Iterator[ModelCode]:
    for rule in table.rules:
        where = f"{element} / rule {rule.row_number or rule.id}"
        for entry in rule.inputEntries:
            expression = entry.input.expression or "None"
            for lhs in entry.lhs:
                if lhs is None or not lhs.strip():
                    continue
                yield ModelCode(where, "dmn", _dmn_test(expression, lhs), "eval")
        for entry in rule.outputEntries:
            if entry.text and entry.text.strip():
                yield ModelCode(where, "dmn", entry.text, "eval")


def _dmn_test(input_expression: str, match: str) -> str:
    """The expression SpiffWorkflow's DMN engine will evaluate for one input cell."""
    if "?" in match:
        return match.replace("?", f"({input_expression})")
    try:
        compile(match, "<dmn>", "eval")
        return f"({input_expression}) == ({match})"
    except SyntaxError:
        return f"({input_expression}) {match}"


# --------------------------------------------------------------------------------------------
# Forms and human tasks as plain data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    id: str
    type: str
    label: str
    default: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str | None], ...] = ()

    @property
    def required(self) -> bool:
        return any(name == "required" for name, _ in self.constraints)

    @property
    def multiple(self) -> bool:
        return self.property("multiple") == "true"

    @property
    def multiline(self) -> bool:
        return self.property("multiline") == "true"

    def property(self, name: str) -> str | None:
        return next((value for key, value in self.properties if key == name), None)

    def constraint(self, name: str) -> str | None:
        return next((value for key, value in self.constraints if key == name), None)


@dataclass(frozen=True)
class FormSpec:
    fields: tuple[FieldSpec, ...] = ()

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)


def _form_spec(form: Form | None) -> FormSpec:
    if form is None:
        return FormSpec()
    fields = []
    for f in form.fields:
        options = tuple((o.id, o.name or o.id) for o in f.options) if isinstance(f, EnumFormField) else ()
        fields.append(
            FieldSpec(
                id=f.id,
                type=f.type or "string",
                label=f.label or f.id,
                default=f.default_value,
                options=options,
                constraints=tuple((v.name, v.config) for v in f.validation),
                properties=tuple((p.id, p.value) for p in f.properties),
            )
        )
    return FormSpec(tuple(fields))


@dataclass(frozen=True)
class HumanTask:
    """A READY user task as the task projection and the inbox see it."""

    id: str
    element_id: str
    title: str
    instructions: str | None
    candidate_group: str | None
    assignee: str | None
    due_at: datetime | None
    follow_up_at: datetime | None
    priority: int
    escalation: bool


@dataclass(frozen=True)
class Effect:
    """What the process asked Lotse to do when it passed an element with ``lotse:effect``.

    ``erinnerung``: remind whoever works on the target task; ``eskalation``: the target task's
    priority is raised and the case is escalated to the team leads; ``fristen``: the variables named
    in ``lotse:variablen`` are handed to the main flow and every open deadline that the new values
    make earlier is tightened (never loosened).
    """

    kind: str
    element_id: str
    element_name: str
    target: HumanTask | None


@dataclass(frozen=True)
class CompletedStep:
    """A completed user task with the form it answered and the variables as it left them."""

    id: str
    element_id: str
    title: str
    form: FormSpec
    data: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Running instances
# --------------------------------------------------------------------------------------------


class Instance:
    """One running case: a SpiffWorkflow workflow plus the fragments of its last serialization."""

    def __init__(self, workflow: BpmnWorkflow, process: ProcessSpec) -> None:
        self.workflow = workflow
        self.process = process
        self.fragments: dict[UUID, str] = {}
        self.prints: dict[UUID, tuple[Any, ...]] = {}
        self._ready: list[Any] | None = None
        self.ready_at_load: frozenset[str] = frozenset(str(t.id) for t in self._ready_manual_tasks())
        self.effects: list[Effect] = []
        self.restamped: set[str] = set()  # open tasks whose due time or priority changed
        self.touched: set[UUID] = set()  # finished tasks whose data Lotse changed: to be stored again

    @property
    def completed(self) -> bool:
        return bool(self.workflow.completed)

    def variables(self) -> dict[str, Any]:
        """The process variables of the main flow, as its open tasks (or its last step) hold them.

        An event sub-process ("Neuer Vorfall") keeps its own data; only what a ``fristen`` effect hands
        over reaches the main flow, so its data must not be mistaken for the case's.
        """
        top = self.workflow
        open_tasks = [
            task
            for task in top.get_tasks(state=TaskState.READY | TaskState.WAITING)
            if task.workflow is top
            and not isinstance(task.task_spec, EventSubprocessSpec)
            and (
                task.task_spec.manual
                or isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
            )
        ]
        if open_tasks:
            return dict(max(open_tasks, key=lambda task: task.last_state_change).data)
        last = top.last_task
        if last is not None and isinstance(last.task_spec, EventSubprocessSpec):
            done = [
                task
                for task in top.get_tasks(state=TaskState.COMPLETED)
                if task.workflow is top and not isinstance(task.task_spec, EventSubprocessSpec)
            ]
            last = max(done, key=lambda task: task.last_state_change, default=None)
        return dict(last.data) if last is not None else dict(top.data)

    def human_tasks(self) -> list[HumanTask]:
        return [self._describe(task) for task in self._ready_manual_tasks()]

    def form_for(self, task_id: str) -> FormSpec:
        return self.process.form_for(self._ready_task(task_id).task_spec)

    def form_of_any(self, task_id: str) -> FormSpec | None:
        """The form of a user task in any state; None when the instance has no such task."""
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            return None
        return self.process.form_for(task.task_spec) if task is not None else None

    def completed_steps(self) -> list[CompletedStep]:
        """Completed user tasks in the order they were completed."""
        done = [
            task
            for workflow in self._workflows()
            for task in workflow.tasks.values()
            if task._state == TaskState.COMPLETED and task.task_spec.manual
        ]
        done.sort(key=lambda task: task.last_state_change)
        return [
            CompletedStep(
                id=str(task.id),
                element_id=task.task_spec.bpmn_id,
                title=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                form=self.process.form_for(task.task_spec),
                data=dict(task.data),
            )
            for task in done
        ]

    def element_states(self) -> tuple[frozenset[str], frozenset[str]]:
        """BPMN element ids that are active now (ready or waiting) and those already completed."""
        active: set[str] = set()
        done: set[str] = set()
        for workflow in self._workflows():
            for task in workflow.tasks.values():
                element = getattr(task.task_spec, "bpmn_id", None)
                if element is None:
                    continue
                if task._state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                    active.add(element)
                elif task._state == TaskState.COMPLETED:
                    done.add(element)
        return frozenset(active), frozenset(done - active)

    def _workflows(self) -> list[Any]:
        return [self.workflow, *self.workflow.subprocesses.values()]

    def next_timer_at(self) -> datetime | None:
        """The earliest instant at which a waiting timer of this instance is due."""
        due = [moment for moment in map(_timer_due, self._waiting_timers()) if moment is not None]
        return min(due) if due else None

    def complete(self, task_id: str, values: Mapping[str, Any]) -> None:
        task = self._ready_task(task_id)
        task.data.update(values)
        self._ready = None
        self._guard(task.task_spec.bpmn_id, task.run)

    def deliver(self, message: str, payload: Mapping[str, Any], result_var: str) -> bool:
        """Hand a BPMN message to the instance; False if nothing in it waits for that message."""
        event = BpmnEvent(CamundaMessage(message), {"payload": dict(payload), "result_var": result_var})
        self._ready = None
        return self.workflow.event_manager.catch(event, internal=False) > 0

    def advance(self) -> int:
        """Fire due timers, run everything that needs no person, stamp due dates on new tasks.

        Returns how many timers fired.
        """
        waiting = list(self._waiting_timers())
        self._ready = None
        self._guard(None, self.workflow.refresh_timers)
        passed: list[Any] = []
        self._guard(None, lambda: self.workflow.do_engine_steps(did_complete_task=passed.append))
        self._ready = None
        for task in passed:
            if not isinstance(task.task_spec, IntermediateThrowEvent):
                continue  # a sub-process's parser also collects the properties of the events inside it
            kind = (getattr(task.task_spec, "extensions", None) or {}).get(EFFECT_PROPERTY)
            if kind:
                self._ready = None
                self.effects.append(self._apply_effect(task, kind))
        for task in self._ready_manual_tasks():
            if "lotse" not in task.internal_data:
                self._stamp(task, getattr(task.task_spec, "extensions", None) or {})
        return sum(1 for task in waiting if task._state != TaskState.WAITING)

    def _apply_effect(self, task: Any, kind: str) -> Effect:
        ext = task.task_spec.extensions
        spec = task.task_spec
        target = self._target(ext.get(TARGET_PROPERTY))
        if kind == "eskalation" and target is not None:
            stamped = target.internal_data.get("lotse") or self._stamp(target, target.task_spec.extensions)
            if stamped.get("priority", 50) < ESCALATED_PRIORITY:
                stamped["priority"] = ESCALATED_PRIORITY
                self.restamped.add(str(target.id))
        elif kind == "fristen":
            names = [name.strip() for name in (ext.get(VARIABLES_PROPERTY) or "").split(",") if name.strip()]
            self._tighten({name: task.data[name] for name in names if name in task.data})
        described = self._describe(target) if target is not None else None
        return Effect(kind, spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, described)

    def _target(self, element_id: str | None) -> Any | None:
        """The open human task of the element an effect names."""
        if not element_id:
            return None
        for task in self._ready_manual_tasks():
            if task.task_spec.bpmn_id == element_id:
                return task
        return None

    def _tighten(self, variables: Mapping[str, Any]) -> None:
        """Hand new values to the open main-flow tasks and timers; move their deadlines only earlier."""
        if not variables:
            return
        for task in self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
            if task.workflow is not self.workflow:
                continue
            task.data.update(variables)
            self._hand_to_ancestors(task, variables)
            if task.task_spec.manual and task.state == TaskState.READY:
                self._tighten_task(task)
            elif isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
                self._tighten_timer(task)

    def _hand_to_ancestors(self, task: Any, variables: Mapping[str, Any]) -> None:
        """A waiting event takes its parent's data again when it fires, the parent's values winning; so the
        new values also go to the engine's own tasks above it (boundary splits, gateways, events, scripts),
        up to the nearest person's step, whose data stays as that step left it."""
        parent = task.parent
        while parent is not None and parent.workflow is self.workflow and not parent.task_spec.manual:
            parent.data.update(variables)
            self.touched.add(parent.id)
            parent = parent.parent

    def _tighten_task(self, task: Any) -> None:
        ext = getattr(task.task_spec, "extensions", None) or {}
        old = dict(task.internal_data.get("lotse") or self._stamp(task, ext))
        new = self._stamp(task, ext)
        if old.get("due") and new.get("due") and _parse_instant(old["due"]) < _parse_instant(new["due"]):
            new["due"] = old["due"]
        elif not new.get("due"):
            new["due"] = old.get("due")
        new["priority"] = max(int(old.get("priority", 50)), int(new.get("priority", 50)))
        if new != old:
            self.restamped.add(str(task.id))

    def _tighten_timer(self, task: Any) -> None:
        current = _timer_due(task)
        source = task.task_spec.event_definition.expression
        proposed = _parse_instant(_instant_text(self._evaluate(task, source), task.task_spec.bpmn_id))
        if current is not None and proposed is not None and proposed < current:
            task._set_internal_data(event_value=proposed.isoformat())

    def _ready_manual_tasks(self) -> list[Any]:
        """READY user and manual tasks; computed once per step (the scan grows with the model)."""
        if self._ready is None:
            self._ready = [
                task
                for workflow in self._workflows()
                for task in workflow.tasks.values()
                if task._state == TaskState.READY and task.task_spec.manual
            ]
        return self._ready

    def _ready_task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError) as error:
            raise TaskNotReady(task_id) from error
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        return task

    def _waiting_timers(self) -> Iterator[Any]:
        for task in self.workflow.event_manager.tasks.values():
            definition = getattr(task.task_spec, "event_definition", None)
            if task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition):
                yield task

    def _describe(self, task: Any) -> HumanTask:
        spec = task.task_spec
        ext = getattr(spec, "extensions", None) or {}
        stamped = task.internal_data.get("lotse")
        if stamped is None:
            stamped = self._stamp(task, ext)
        groups = ext.get("camunda:candidateGroups") or spec.lane
        return HumanTask(
            id=str(task.id),
            element_id=spec.bpmn_id,
            title=spec.bpmn_name or spec.bpmn_id,
            instructions=spec.documentation,
            candidate_group=groups.split(",")[0].strip() if groups else None,
            assignee=ext.get("camunda:assignee"),
            due_at=_parse_instant(stamped.get("due")),
            follow_up_at=_parse_instant(stamped.get("follow_up")),
            priority=int(stamped.get("priority", 50)),
            escalation=ext.get(ESCALATION_PROPERTY) == "true",
        )

    def _stamp(self, task: Any, ext: Mapping[str, str]) -> dict[str, Any]:
        """Evaluate due date, follow-up date and priority once, when the task becomes ready."""
        stamped: dict[str, Any] = {}
        for attribute, key in (("dueDate", "due"), ("followUpDate", "follow_up")):
            source = ext.get(f"camunda:{attribute}")
            if source:
                value = self._evaluate(task, source)
                stamped[key] = _instant_text(value, task.task_spec.bpmn_id)
        source = ext.get("camunda:priority")
        stamped["priority"] = max(0, min(100, int(self._evaluate(task, source)))) if source else 50
        task.internal_data["lotse"] = stamped
        return stamped

    def _evaluate(self, task: Any, source: str) -> Any:
        return self._guard(task.task_spec.bpmn_id, lambda: self.workflow.script_engine.evaluate(task, source))

    def _guard(self, element_id: str | None, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except SpiffWorkflowException as error:
            task = getattr(error, "task", None)
            where = getattr(getattr(task, "task_spec", None), "bpmn_id", None) or element_id
            raise ExecutionError(where, _first_line(error)) from error


def _timer_due(task: Any) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    with contextlib.suppress(ValueError):
        parsed = TimerEventDefinition.get_datetime(value)
        return parsed.astimezone(UTC)
    return None


def _instant_text(value: Any, element_id: str) -> str:
    if isinstance(value, datetime):
        return require_aware(value).isoformat()
    if isinstance(value, str):
        parsed = _parse_instant(value)
        if parsed is not None:
            return parsed.isoformat()
    raise ExecutionError(element_id, f"Expected an ISO 8601 date-time with offset, got {value!r}.")


def _parse_instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# --------------------------------------------------------------------------------------------
# The runtime: script engine, spec (de)serialization, instance (de)serialization
# --------------------------------------------------------------------------------------------

_ALWAYS_REWRITE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class Runtime:
    """Creates, loads and stores instances; one per application, safe to share between threads."""

    def __init__(self, environment: Any) -> None:
        self.script_engine = PythonScriptEngine(environment=environment)
        self._local = threading.local()

    # -- registry per thread: SpiffWorkflow's serializer flips shared state while encoding
    @property
    def _registry(self) -> Any:
        registry = getattr(self._local, "registry", None)
        if registry is None:
            registry = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
            self._local.registry = registry
        return registry

    # -- specs
    def spec_to_json(self, process: ProcessSpec) -> str:
        registry = self._registry
        return json.dumps(
            {
                "process_id": process.process_id,
                "name": process.name,
                "spec": registry.convert(process.spec),
                "subprocess_specs": {k: registry.convert(v) for k, v in process.subprocess_specs.items()},
            },
            separators=(",", ":"),
        )

    def spec_from_json(self, text: str) -> ProcessSpec:
        registry = self._registry
        data = json.loads(text)
        return ProcessSpec(
            data["process_id"],
            data["name"],
            registry.restore(data["spec"]),
            {k: registry.restore(v) for k, v in data["subprocess_specs"].items()},
        )

    # -- instances
    def start(self, process: ProcessSpec, variables: Mapping[str, Any] | None = None) -> Instance:
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=self.script_engine)
        if variables:
            workflow.task_tree.data.update(variables)
            workflow.data.update(variables)
        instance = Instance(workflow, process)
        instance.advance()
        return instance

    def dump(self, instance: Instance) -> bytes:
        """Serialize the instance state (no spec), re-encoding only the tasks that changed.

        Format: a marker line, the workflow header as JSON, then one line per task: its id, a
        space, its JSON. JSON never contains a raw newline, so lines split unambiguously and a
        load can keep every task's stored text without encoding it again.
        """
        registry = self._registry
        workflow = instance.workflow
        fragments, prints = instance.fragments, instance.prints
        for task_id in self._dirty_tasks(instance):
            task = workflow.tasks[task_id]
            fragments[task_id] = f"{task_id} {_dumps(registry.convert(task))}"
            prints[task_id] = _fingerprint(task)
        if len(fragments) != len(workflow.tasks):
            for gone in set(fragments) - set(workflow.tasks):
                del fragments[gone]
                del prints[gone]
        return "\n".join((STATE_MARKER, _dumps(self._header(workflow)), *fragments.values())).encode()

    def load(self, blob: bytes, process: ProcessSpec) -> Instance:
        lines = blob.decode().split("\n")
        if lines[0] != STATE_MARKER:
            raise ValueError("Unknown case state format")
        dct = json.loads(lines[1])
        stored: dict[UUID, str] = {}
        tasks: dict[str, Any] = {}
        for line in lines[2:]:
            task_id, _, text = line.partition(" ")
            tasks[task_id] = json.loads(text)
            stored[UUID(task_id)] = line
        dct["tasks"] = _materialize_task_data(tasks)
        dct["spec"] = process.spec
        dct["subprocess_specs"] = process.subprocess_specs
        workflow = self._registry.restore(dct)
        workflow.script_engine = self.script_engine
        instance = Instance(workflow, process)
        instance.fragments = stored
        instance.prints = {task_id: _fingerprint(task) for task_id, task in workflow.tasks.items()}
        return instance

    def full_state(self, instance: Instance) -> dict[str, Any]:
        """The stock SpiffWorkflow serialization without the spec (to check the incremental one)."""
        dct = self._registry.convert(instance.workflow)
        for key in ("spec", "subprocess_specs"):
            dct.pop(key, None)
        state = json.loads(_dumps(dct))
        for task in _all_task_dicts(state):
            delta = task.get("delta") or {}
            if "deletions" in delta:  # a set written as a list: its order follows the parent's keys
                delta["deletions"] = sorted(delta["deletions"])
        return state

    def _dirty_tasks(self, instance: Instance) -> set[UUID]:
        prints = instance.prints
        tasks = instance.workflow.tasks
        dirty = {
            task_id
            for task_id, task in tasks.items()
            if task._state & _ALWAYS_REWRITE or prints.get(task_id) != _fingerprint(task)
        }
        dirty.update(task_id for task_id in instance.touched if task_id in tasks)
        instance.touched.clear()
        # A task's data is stored as a delta against its parent's: children follow their parent.
        for task_id in list(dirty):
            dirty.update(tasks[task_id]._children)
        return dirty

    def _header(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        registry = self._registry
        return {
            "typename": registry.typenames[type(workflow)],
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "root": str(workflow.task_tree.id),
            "subprocesses": {str(k): registry.convert(v) for k, v in workflow.subprocesses.items()},
            "bpmn_events": registry.convert(workflow.bpmn_events),
        }


def _materialize_task_data(tasks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Turn each task's data delta into full data, parents first.

    SpiffWorkflow 3.2.0 stores a task's data as a delta against its parent but restores tasks
    before the parent can be looked up, so its own deserializer drops inherited data. We hand it
    full data instead (the stored form stays compact).
    """
    resolved: set[str] = set()
    for task_id in tasks:
        chain = []
        current: str | None = task_id
        while current is not None and current in tasks and current not in resolved:
            chain.append(current)
            current = tasks[current].get("parent")
        for link in reversed(chain):  # from the oldest unresolved ancestor down
            task, parent = tasks[link], tasks[link].get("parent")
            delta = task.get("delta")
            if delta and parent in tasks:
                data = dict(tasks[parent]["data"])
                data.update(delta.get("updates", {}))
                for key in delta.get("deletions", []):
                    data.pop(key, None)
                task["data"], task["delta"] = data, {}
            resolved.add(link)
    return tasks


def _all_task_dicts(state: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The serialized tasks of a workflow and of its sub-processes."""
    yield from state.get("tasks", {}).values()
    for sub in state.get("subprocesses", {}).values():
        yield from _all_task_dicts(sub)


def _fingerprint(task: Any) -> tuple[Any, ...]:
    return (task._state, task.last_state_change, len(task._children), task.triggered)


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"Value of type {type(value).__name__} cannot be stored in a case")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_json_default)


# --------------------------------------------------------------------------------------------
# Model review: the facts the lint rules read, and the diff between two versions of a model
# --------------------------------------------------------------------------------------------

TIMER_KINDS: dict[type, str] = {
    TimeDateEventDefinition: "date",
    DurationTimerEventDefinition: "duration",
    CycleTimerEventDefinition: "cycle",
}


@dataclass(frozen=True)
class TimerFact:
    element_id: str
    kind: str  # date, duration, cycle
    expression: str


@dataclass(frozen=True)
class GatewayFact:
    """An exclusive gateway: its default flow's target (if any) and each condition with its target."""

    element_id: str
    name: str
    default_target: str | None
    conditions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WrittenVariable:
    """A process variable a model element writes: a form field, a decision output, a script name."""

    element_id: str
    name: str
    source: str  # form, decision, script


def _all_task_specs(process: ProcessSpec) -> Iterator[Any]:
    for spec in [process.spec, *process.subprocess_specs.values()]:
        yield from spec.task_specs.values()


def timer_facts(process: ProcessSpec) -> list[TimerFact]:
    found = []
    for task_spec in _all_task_specs(process):
        definition = getattr(task_spec, "event_definition", None)
        kind = TIMER_KINDS.get(type(definition))
        if kind is not None:
            found.append(TimerFact(task_spec.bpmn_id or task_spec.name, kind, definition.expression))
    return found


def timer_value_fits(kind: str, value: Any) -> bool:
    """Whether a timer expression's value can drive a timer of this kind (date, duration, cycle)."""
    if kind == "date":
        if isinstance(value, datetime):
            return value.tzinfo is not None
        return isinstance(value, str) and _parse_instant(value) is not None
    try:
        if kind == "duration":
            TimerEventDefinition.parse_iso_duration(str(value))
        else:
            TimerEventDefinition.parse_iso_recurring_interval(str(value))
    except Exception:  # SpiffWorkflow raises a bare Exception for an invalid duration
        return False
    return True


def gateway_facts(process: ProcessSpec) -> list[GatewayFact]:
    found = []
    for task_spec in _all_task_specs(process):
        if not isinstance(task_spec, ExclusiveGateway):
            continue
        specs = task_spec._wf_spec.task_specs
        default = task_spec.default_task_spec
        conditions = tuple(
            (str(condition.args[0] if hasattr(condition, "args") else condition), _element_of(specs, name))
            for condition, name in task_spec.cond_task_specs
            if name != default
        )
        found.append(
            GatewayFact(
                task_spec.bpmn_id,
                task_spec.bpmn_name or task_spec.bpmn_id,
                _element_of(specs, default) if default else None,
                conditions,
            )
        )
    return found


def _element_of(specs: Mapping[str, Any], name: str) -> str:
    return getattr(specs.get(name), "bpmn_id", None) or name


def written_variables(process: ProcessSpec) -> list[WrittenVariable]:
    found: list[WrittenVariable] = []
    for task_spec in _all_task_specs(process):
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        if getattr(task_spec, "manual", False) and hasattr(task_spec, "form"):
            found.extend(WrittenVariable(element, f.id, "form") for f in process.form_for(task_spec).fields)
        engine = getattr(task_spec, "dmnEngine", None)
        if engine is not None:
            found.extend(
                WrittenVariable(element, output.name, "decision")
                for output in engine.decision_table.outputs
                if output.name
            )
        if isinstance(task_spec, ScriptEngineTask) and getattr(task_spec, "script", None):
            found.extend(
                WrittenVariable(element, name, "script") for name in _assigned_names(task_spec.script)
            )
    return found


def _assigned_names(script: str) -> list[str]:
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return []  # the sandbox check reports it
    names = [
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    ]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    name: str
    kind: str
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelDiff:
    """What a new version adds, changes and removes, by BPMN element (subprocesses included)."""

    added: tuple[ElementChange, ...] = ()
    changed: tuple[ElementChange, ...] = ()
    removed: tuple[ElementChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _change(task_spec: Any, attributes: tuple[str, ...] = ()) -> ElementChange | None:
    element = getattr(task_spec, "bpmn_id", None)
    if not element:
        return None  # SpiffWorkflow's own start/end helpers are not model elements
    kind = type(task_spec).__name__
    return ElementChange(element, task_spec.bpmn_name or element, kind, attributes)


def _kept(changes: Iterator[ElementChange | None]) -> tuple[ElementChange, ...]:
    unique = {change.element_id: change for change in changes if change is not None}
    return tuple(sorted(unique.values(), key=lambda change: change.element_id))


def diff_processes(runtime: Runtime, old: ProcessSpec, new: ProcessSpec) -> ModelDiff:
    """Elements added, changed (with the changed attributes) and removed from ``old`` to ``new``."""
    registry = runtime._registry
    pairs = [(old.spec, new.spec)]
    added: list[ElementChange | None] = []
    removed: list[ElementChange | None] = []
    for name, spec in old.subprocess_specs.items():
        if name in new.subprocess_specs:
            pairs.append((spec, new.subprocess_specs[name]))
        else:
            removed.extend(_change(task_spec) for task_spec in spec.task_specs.values())
    for name, spec in new.subprocess_specs.items():
        if name not in old.subprocess_specs:
            added.extend(_change(task_spec) for task_spec in spec.task_specs.values())
    changed: list[ElementChange | None] = []
    for before, after in pairs:
        found = SpecDiff(registry, before, after)
        added.extend(_change(task_spec) for task_spec in found.added)
        removed.extend(_change(task_spec) for task_spec in found.removed)
        changed.extend(
            _change(found.alignment.get(task_spec) or task_spec, tuple(attributes))  # named as it is now
            for task_spec, attributes in found.changed.items()
        )
    return ModelDiff(_kept(iter(added)), _kept(iter(changed)), _kept(iter(removed)))


# Moving running instances to another version of their process
# --------------------------------------------------------------------------------------------

# What may change on a task a case has already completed without changing what that task did:
# its wiring, its labels, and who works on it by when.
_NEUTRAL_FOR_DONE = frozenset(
    {
        "inputs",
        "outputs",
        "bpmn_name",
        "description",
        "documentation",
        "lane",
        "wiring",
        *(f"extensions.camunda:{name}" for name in CAMUNDA_TASK_ATTRIBUTES),
    }
)
_STAMP_CHANGES = frozenset(f"extensions.camunda:{name}" for name in ("dueDate", "followUpDate", "priority"))
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_PREDICTED = TaskState.LIKELY | TaskState.MAYBE | TaskState.FUTURE
_RESHAPING = frozenset({"outputs", "wiring", "typename"})  # changes that alter what follows a task


@dataclass(frozen=True)
class SpecChanges:
    """How the tasks of one workflow spec map onto its successor, by the old task spec's name."""

    spec: Any  # the successor workflow spec
    mapping: dict[str, Any]  # old task spec name -> successor task spec, None when it was removed
    changed: dict[str, frozenset[str]]  # old task spec name -> changed attributes (extensions per key)
    added: tuple[str, ...]  # BPMN element ids only in the successor


@dataclass(frozen=True)
class VersionDiff:
    """The difference between two versions of a process, computed once and applied to many instances."""

    source: ProcessSpec
    target: ProcessSpec
    top: SpecChanges
    subprocesses: dict[str, SpecChanges | None]  # None: the sub-process is gone in the target

    def elements(self) -> tuple[list[str], list[str], list[str]]:
        """BPMN element ids added, removed and changed (wiring and labels included)."""
        added: list[str] = []
        removed: list[str] = []
        changed: list[str] = []
        parts = [(self.source.spec, self.top), *self._subprocess_parts()]
        for old_spec, changes in parts:
            added.extend(changes.added if changes is not None else ())
            for name, task_spec in old_spec.task_specs.items():
                element = getattr(task_spec, "bpmn_id", None)
                if element is None:
                    continue
                if changes is None or changes.mapping.get(name) is None:
                    removed.append(element)
                elif changes.changed.get(name, frozenset()) - {"inputs"}:
                    changed.append(element)
        for name, spec in self.target.subprocess_specs.items():
            if name not in self.source.subprocess_specs:
                added.extend(t.bpmn_id for t in spec.task_specs.values() if getattr(t, "bpmn_id", None))
        return sorted(set(added)), sorted(set(removed)), sorted(set(changed))

    def _subprocess_parts(self) -> list[tuple[Any, SpecChanges | None]]:
        return [(self.source.subprocess_specs[name], changes) for name, changes in self.subprocesses.items()]


@dataclass(frozen=True)
class MigrationObstacle:
    """Why an instance cannot move: an element it completed changed or went, or its open step went."""

    element_id: str
    element_name: str
    kind: str  # completed_removed, completed_changed, open_removed, open_kind_changed
    changes: tuple[str, ...] = ()


def version_diff(runtime: Runtime, source: ProcessSpec, target: ProcessSpec) -> VersionDiff:
    registry = runtime._registry
    subprocesses = {
        name: _spec_changes(registry, spec, target.subprocess_specs[name])
        if name in target.subprocess_specs
        else None
        for name, spec in source.subprocess_specs.items()
    }
    return VersionDiff(source, target, _spec_changes(registry, source.spec, target.spec), subprocesses)


def _spec_changes(registry: Any, old: Any, new: Any) -> SpecChanges:
    diff = SpecDiff(registry, old, new)
    mapping = {task_spec.name: aligned for task_spec, aligned in diff.alignment.items()}
    for name in old.task_specs:  # specs the diff cannot reach from the start (event sub-processes)
        mapping.setdefault(name, new.task_specs.get(name))
    # Starting an event sub-process links it to the start at run time: that is no change of the model.
    triggers = {*getattr(old.start, "trigger_specs", ()), *getattr(new.start, "trigger_specs", ())}
    changed = {
        name: _changed_attributes(registry, old.task_specs[name], aligned, triggers)
        for name, aligned in mapping.items()
        if aligned is not None
    }
    aligned_names = {task_spec.name for task_spec in mapping.values() if task_spec is not None}
    added = tuple(
        task_spec.bpmn_id
        for name, task_spec in new.task_specs.items()
        if name not in aligned_names and getattr(task_spec, "bpmn_id", None)
    )
    return SpecChanges(new, mapping, {k: v for k, v in changed.items() if v}, added)


def _changed_attributes(registry: Any, old: Any, new: Any, triggers: set[str]) -> frozenset[str]:
    before, after = registry.convert(old), registry.convert(new)
    for converted in (before, after):
        for key in ("inputs", "outputs"):
            linked = converted.get(key) or ()
            converted[key] = [] if old.name in triggers else [name for name in linked if name not in triggers]
    if before.get("typename") != after.get("typename"):
        return frozenset({"typename"})
    changed: set[str] = set()
    for key in set(before) | set(after):
        if key == "extensions" and isinstance(before.get(key), dict) and isinstance(after.get(key), dict):
            ext_before, ext_after = before[key], after[key]
            changed.update(
                f"extensions.{name}"
                for name in set(ext_before) | set(ext_after)
                if ext_before.get(name) != ext_after.get(name)
            )
        elif before.get(key) != after.get(key):
            changed.add(_kind_of_change(key, before.get(key), after.get(key)))
    return frozenset(changed)


def _kind_of_change(key: str, before: Any, after: Any) -> str:
    """Tell a change of wiring or labels apart from one of behaviour, where an attribute holds both."""
    if key == "default_task_spec":
        return "wiring"
    if key == "cond_task_specs" and [c.get("condition") for c in before or []] == [
        c.get("condition") for c in after or []
    ]:
        return "wiring"
    if key == "event_definition" and isinstance(before, dict) and isinstance(after, dict):
        unlabelled = [
            {k: v for k, v in d.items() if k not in ("name", "description")} for d in (before, after)
        ]
        if unlabelled[0] == unlabelled[1]:
            return "bpmn_name"
    return key


def migration_obstacles(instance: Instance, diff: VersionDiff) -> list[MigrationObstacle]:
    """Everything that keeps this instance from moving to the diff's target; empty when it can move."""
    found: dict[tuple[str, str], MigrationObstacle] = {}
    for workflow, changes in _workflow_changes(instance.workflow, diff):
        for obstacle in _obstacles(workflow, changes):
            found.setdefault((obstacle.element_id, obstacle.kind), obstacle)
    return [found[key] for key in sorted(found)]


def _workflow_changes(top: BpmnWorkflow, diff: VersionDiff) -> list[tuple[Any, SpecChanges | None]]:
    pairs: list[tuple[Any, SpecChanges | None]] = [(top, diff.top)]
    for sub in top.subprocesses.values():
        pairs.append((sub, diff.subprocesses.get(sub.spec.name)))
    return pairs


def _obstacles(workflow: Any, changes: SpecChanges | None) -> Iterator[MigrationObstacle]:
    for task in workflow.tasks.values():
        spec = task.task_spec
        state = task._state
        if not state & (TaskState.COMPLETED | _OPEN):
            continue
        if getattr(spec, "bpmn_id", None) is None:
            continue  # engine-internal (start, end, a boundary event's split): its element speaks for it
        element = spec.bpmn_id
        label = getattr(spec, "bpmn_name", None) or element
        aligned = changes.mapping.get(spec.name) if changes is not None else None
        done = bool(state & TaskState.COMPLETED)
        if aligned is None:
            yield MigrationObstacle(element, label, "completed_removed" if done else "open_removed")
            continue
        changed = changes.changed.get(spec.name, frozenset()) if changes is not None else frozenset()
        if done and changed - _NEUTRAL_FOR_DONE:
            yield MigrationObstacle(
                element, label, "completed_changed", tuple(sorted(changed - _NEUTRAL_FOR_DONE))
            )
        elif not done and "typename" in changed:
            yield MigrationObstacle(element, label, "open_kind_changed", ("typename",))


def migrate_instance(instance: Instance, diff: VersionDiff) -> None:
    """Move an instance without obstacles onto the diff's target version, in place.

    Open tasks keep their identity, data and claims; what lies ahead of them is predicted anew from the
    target. An open task whose due date, follow-up date or priority expression changed is stamped again
    by the next ``advance()``, a waiting timer whose expression changed is set again. Call ``advance()``
    under the step's clock afterwards, then save: every task is written anew.
    """
    workflow = instance.workflow
    pairs: list[tuple[Any, SpecChanges]] = []
    for part, changes in _workflow_changes(workflow, diff):
        if changes is None:
            raise ValueError(f"sub-process {part.spec.name} does not exist in the target")
        pairs.append((part, changes))
    reshaped: dict[Any, set[UUID]] = {}
    try:
        for part, changes in pairs:
            reshaped[part] = _repoint(part, changes)
        workflow.subprocess_specs = diff.target.subprocess_specs
        for part, _changes in pairs:
            _predict_ahead(part, reshaped[part])
            _drop_strays(part)
            if part.last_task is not None and part.last_task.id not in part.tasks:
                part.last_task = None
    except SpiffWorkflowException as error:
        where = getattr(getattr(error, "task_spec", None), "bpmn_id", None)
        raise ExecutionError(where, _first_line(error)) from error
    instance.process = diff.target
    instance.fragments.clear()
    instance.prints.clear()
    instance._ready = None


def _repoint(workflow: Any, changes: SpecChanges) -> set[UUID]:
    """Point every task at its spec in the new version; returns the tasks whose element was rewired."""
    workflow.spec = changes.spec
    start = changes.spec.start
    reshaped: set[UUID] = set()
    for task in workflow.tasks.values():
        old_name = task.task_spec.name
        aligned = changes.mapping.get(old_name)
        if aligned is None or changes.changed.get(old_name, frozenset()) & _RESHAPING:
            reshaped.add(task.id)
        if aligned is None:
            continue
        task.task_spec = aligned
        if _started_event_subprocess(task, start) and start not in aligned.inputs:
            start.connect(aligned)  # as SpiffWorkflow links an event sub-process when it starts
            aligned.connect(changes.spec.end)
        if not task._state & _OPEN:
            continue
        changed = changes.changed.get(old_name, frozenset())
        if changed & _STAMP_CHANGES:
            task.internal_data.pop("lotse", None)
        if "event_definition" in changed:
            task.internal_data.pop("event_value", None)
    return reshaped


def _started_event_subprocess(task: Any, start: Any) -> bool:
    return bool(task.triggered) and task.parent is not None and task.parent.task_spec.name == start.name


def _predict_ahead(workflow: Any, reshaped: set[UUID]) -> None:
    """Replace what open tasks predicted from the old spec by predictions from the new one.

    Only branches that hold a rewired or removed element are predicted again; the others are alike.
    """
    open_tasks = [task for task in workflow.tasks.values() if task._state & _OPEN]
    above_open: set[UUID] = set()  # tasks with an open task below them: their branch is not predicted
    for task in open_tasks:
        parent = task.parent
        while parent is not None and parent.id not in above_open:
            above_open.add(parent.id)
            parent = parent.parent
    for task in open_tasks:
        if task.id in above_open or task.id not in workflow.tasks or not _holds(task, reshaped):
            continue
        task._drop_children()
        if task._state == TaskState.WAITING:
            # what follows a waiting event may or may not happen, as when it was first predicted
            task._sync_children(task.task_spec.outputs, TaskState.MAYBE)
            for child in task.children:
                child.task_spec._predict(child, looked_ahead=1)
        else:
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)


def _holds(task: Any, ids: set[UUID]) -> bool:
    """Whether the task or anything below it is one of ``ids``."""
    tasks = task.workflow.tasks
    stack = [task.id]
    while stack:
        task_id = stack.pop()
        if task_id in ids:
            return True
        stack.extend(tasks[task_id]._children)
    return False


def _drop_strays(workflow: Any) -> None:
    """Remove cancelled or predicted tasks whose element the new spec no longer has."""
    specs = workflow.spec.task_specs
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or specs.get(task.task_spec.name) is task.task_spec:
            continue
        if not task._state & (TaskState.CANCELLED | _PREDICTED):
            raise ValueError(f"task {task.task_spec.name} has no spec in the target")
        workflow._remove_task(task.id)
