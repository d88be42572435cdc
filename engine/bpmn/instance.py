"""One running case: a SpiffWorkflow workflow, its human tasks, its steps and its timers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess as EventSubprocessSpec
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.dialect import (
    ESCALATION_PROPERTY,
    apply_effect,
    effect_kind,
    parse_instant,
    stamp,
    timer_due,
)
from engine.bpmn.errors import TaskNotReady, execution_error
from engine.bpmn.parsing import ProcessSpec
from engine.bpmn.tasks import CompletedStep, Effect, FormSpec, HumanTask, WaitingStep
from engine.sandbox.errors import SandboxError


class Instance:
    """One running case: a SpiffWorkflow workflow plus the fragments of its last serialization."""

    def __init__(self, workflow: BpmnWorkflow, process: ProcessSpec) -> None:
        self.workflow = workflow
        self.process = process
        self.fragments: dict[UUID, str] = {}
        self.prints: dict[UUID, tuple[Any, ...]] = {}
        self._ready: list[Any] | None = None
        self.ready_at_load: frozenset[str] = frozenset(str(t.id) for t in self.ready_manual_tasks())
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
        return [self.describe(task) for task in self.ready_manual_tasks()]

    def form_for(self, task_id: str) -> FormSpec:
        return self.process.form_for(self._ready_task(task_id).task_spec)

    def task_data(self, task_id: str) -> dict[str, Any]:
        """The variables a READY user task sees (its own scope, also inside an event sub-process)."""
        return dict(self._ready_task(task_id).data)

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
                title_en=(getattr(task.task_spec, "extensions", None) or {}).get("name_en"),
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
        due = [moment for moment in map(timer_due, self._waiting_timers()) if moment is not None]
        return min(due) if due else None

    def waiting_steps(self) -> list[WaitingStep]:
        """Timers the case waits at on its own (not a task's deadline), earliest first."""
        steps = []
        for task in self._waiting_timers():
            spec, due = task.task_spec, timer_due(task)
            if due is None or isinstance(spec, BoundaryEvent):
                continue
            ext = getattr(spec, "extensions", None) or {}
            title = spec.bpmn_name or spec.bpmn_id
            steps.append(WaitingStep(spec.bpmn_id, title, due, ext.get("name_en")))
        return sorted(steps, key=lambda step: step.due_at)

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
            kind = effect_kind(task)
            if kind:
                self._ready = None
                self.effects.append(apply_effect(self, task, kind))
        for task in self.ready_manual_tasks():
            if "lotse" not in task.internal_data:
                stamp(self, task, getattr(task.task_spec, "extensions", None) or {})
        return sum(1 for task in waiting if task._state != TaskState.WAITING)

    def moved_to(self, process: ProcessSpec) -> None:
        """Take the version the workflow was migrated to; every task is written anew at the next save."""
        self.process = process
        self.fragments.clear()
        self.prints.clear()
        self._ready = None

    def ready_manual_tasks(self) -> list[Any]:
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

    def describe(self, task: Any) -> HumanTask:
        spec = task.task_spec
        ext = getattr(spec, "extensions", None) or {}
        stamped = task.internal_data.get("lotse")
        if stamped is None:
            stamped = stamp(self, task, ext)
        groups = ext.get("camunda:candidateGroups") or spec.lane
        return HumanTask(
            id=str(task.id),
            element_id=spec.bpmn_id,
            title=spec.bpmn_name or spec.bpmn_id,
            instructions=spec.documentation,
            candidate_group=groups.split(",")[0].strip() if groups else None,
            assignee=ext.get("camunda:assignee"),
            due_at=parse_instant(stamped.get("due")),
            follow_up_at=parse_instant(stamped.get("follow_up")),
            priority=int(stamped.get("priority", 50)),
            escalation=ext.get(ESCALATION_PROPERTY) == "true",
            title_en=ext.get("name_en"),
            instructions_en=ext.get("documentation_en"),
        )

    def evaluate(self, task: Any, source: str) -> Any:
        return self._guard(task.task_spec.bpmn_id, lambda: self.workflow.script_engine.evaluate(task, source))

    def _guard(self, element_id: str | None, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (SpiffWorkflowException, SandboxError) as error:
            task = getattr(error, "task", None)
            where = getattr(getattr(task, "task_spec", None), "bpmn_id", None) or element_id
            raise execution_error(where, error) from error


class InstanceBefore:
    """What an instance said before a step ran: its variables and completed steps.

    The work done alongside a step (recording referrals) is written after the engine step but must see
    the case as the person saw it when submitting; it reads only these two.
    """

    def __init__(self, instance: Instance) -> None:
        self.process = instance.process
        self._variables = instance.variables()
        self._steps = instance.completed_steps()

    def variables(self) -> dict[str, Any]:
        return dict(self._variables)

    def completed_steps(self) -> list[CompletedStep]:
        return list(self._steps)
