"""Lotse's own dialect on top of Camunda 7: effects, due-date stamping, tightening and escalation.

A user task's ``camunda:dueDate``, ``camunda:followUpDate`` and ``camunda:priority`` are evaluated once,
when the task becomes ready, and stamped on it. An element with ``lotse:effect`` asks Lotse to act when
the process passes it (see ``Effect``): remind, escalate (the target task's priority rises to
``ESCALATED_PRIORITY``) or hand new values to the main flow, tightening every open deadline they make
earlier (never loosening one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.defaults import IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.errors import ExecutionError
from engine.bpmn.tasks import Effect
from engine.kernel.clock import require_aware

if TYPE_CHECKING:
    from engine.bpmn.instance import Instance

ESCALATION_PROPERTY = "lotse:escalation"
# An element with lotse:effect asks Lotse to act when the process passes it (see ``Effect``).
EFFECT_PROPERTY = "lotse:effect"
TARGET_PROPERTY = "lotse:ziel"
VARIABLES_PROPERTY = "lotse:variablen"
EFFECTS = ("erinnerung", "eskalation", "fristen")
ESCALATED_PRIORITY = 95


def effect_kind(task: Any) -> str | None:
    """The effect a task the process passed asks for: only throw events declare one."""
    if not isinstance(task.task_spec, IntermediateThrowEvent):
        return None  # a sub-process's parser also collects the properties of the events inside it
    return (getattr(task.task_spec, "extensions", None) or {}).get(EFFECT_PROPERTY) or None


def apply_effect(instance: Instance, task: Any, kind: str) -> Effect:
    ext = task.task_spec.extensions
    spec = task.task_spec
    target = _target(instance, ext.get(TARGET_PROPERTY))
    if kind == "eskalation" and target is not None:
        stamped = target.internal_data.get("lotse") or stamp(instance, target, target.task_spec.extensions)
        if stamped.get("priority", 50) < ESCALATED_PRIORITY:
            stamped["priority"] = ESCALATED_PRIORITY
            instance.restamped.add(str(target.id))
    elif kind == "fristen":
        names = [name.strip() for name in (ext.get(VARIABLES_PROPERTY) or "").split(",") if name.strip()]
        _tighten(instance, {name: task.data[name] for name in names if name in task.data})
    described = instance.describe(target) if target is not None else None
    return Effect(kind, spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, described)


def _target(instance: Instance, element_id: str | None) -> Any | None:
    """The open human task of the element an effect names."""
    if not element_id:
        return None
    for task in instance.ready_manual_tasks():
        if task.task_spec.bpmn_id == element_id:
            return task
    return None


def _tighten(instance: Instance, variables: Mapping[str, Any]) -> None:
    """Hand new values to the open main-flow tasks and timers; move their deadlines only earlier."""
    if not variables:
        return
    for task in instance.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.workflow is not instance.workflow:
            continue
        task.data.update(variables)
        _hand_to_ancestors(instance, task, variables)
        if task.task_spec.manual and task.state == TaskState.READY:
            _tighten_task(instance, task)
        elif isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            _tighten_timer(instance, task)


def _hand_to_ancestors(instance: Instance, task: Any, variables: Mapping[str, Any]) -> None:
    """A waiting event takes its parent's data again when it fires, the parent's values winning; so the
    new values also go to the engine's own tasks above it (boundary splits, gateways, events, scripts),
    up to the nearest person's step, whose data stays as that step left it."""
    parent = task.parent
    while parent is not None and parent.workflow is instance.workflow and not parent.task_spec.manual:
        parent.data.update(variables)
        instance.touched.add(parent.id)
        parent = parent.parent


def _tighten_task(instance: Instance, task: Any) -> None:
    ext = getattr(task.task_spec, "extensions", None) or {}
    old = dict(task.internal_data.get("lotse") or stamp(instance, task, ext))
    new = stamp(instance, task, ext)
    if old.get("due") and new.get("due") and parse_instant(old["due"]) < parse_instant(new["due"]):
        new["due"] = old["due"]
    elif not new.get("due"):
        new["due"] = old.get("due")
    new["priority"] = max(int(old.get("priority", 50)), int(new.get("priority", 50)))
    if new != old:
        instance.restamped.add(str(task.id))


def _tighten_timer(instance: Instance, task: Any) -> None:
    current = timer_due(task)
    source = task.task_spec.event_definition.expression
    proposed = parse_instant(instant_text(instance.evaluate(task, source), task.task_spec.bpmn_id))
    if current is not None and proposed is not None and proposed < current:
        task._set_internal_data(event_value=proposed.isoformat())


def stamp(instance: Instance, task: Any, ext: Mapping[str, str]) -> dict[str, Any]:
    """Evaluate due date, follow-up date and priority once, when the task becomes ready."""
    stamped: dict[str, Any] = {}
    for attribute, key in (("dueDate", "due"), ("followUpDate", "follow_up")):
        source = ext.get(f"camunda:{attribute}")
        if source:
            value = instance.evaluate(task, source)
            stamped[key] = instant_text(value, task.task_spec.bpmn_id)
    source = ext.get("camunda:priority")
    stamped["priority"] = max(0, min(100, int(instance.evaluate(task, source)))) if source else 50
    task.internal_data["lotse"] = stamped
    return stamped


def timer_due(task: Any) -> datetime | None:
    """The instant a waiting timer task is due, as SpiffWorkflow keeps it in the task's internal data."""
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    with contextlib.suppress(ValueError):
        parsed = TimerEventDefinition.get_datetime(value)
        return parsed.astimezone(UTC)
    return None


def instant_text(value: Any, element_id: str) -> str:
    if isinstance(value, datetime):
        return require_aware(value).isoformat()
    if isinstance(value, str):
        parsed = parse_instant(value)
        if parsed is not None:
            return parsed.isoformat()
    raise ExecutionError(element_id, f"Expected an ISO 8601 date-time with offset, got {value!r}.")


def parse_instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
