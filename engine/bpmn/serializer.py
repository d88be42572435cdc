"""The incremental serializer of case state: an instance without its spec, one JSON line per task.

An instance keeps the JSON fragment of every task it has written and re-encodes only tasks that
changed since, so the cost of a step does not grow with the size of the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.instance import Instance
from engine.bpmn.parsing import ProcessSpec

SERIALIZER_VERSION = f"lotse-2+spiff-{SPIFF_SERIALIZER_VERSION}"
STATE_MARKER = "lotse-state-2"
_ALWAYS_REWRITE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def dump_state(registry: Any, instance: Instance) -> bytes:
    """Serialize the instance state (no spec), re-encoding only the tasks that changed.

    Format: a marker line, the workflow header as JSON, then one line per task: its id, a
    space, its JSON. JSON never contains a raw newline, so lines split unambiguously and a
    load can keep every task's stored text without encoding it again.
    """
    workflow = instance.workflow
    fragments, prints = instance.fragments, instance.prints
    for task_id in _dirty_tasks(instance):
        task = workflow.tasks[task_id]
        fragments[task_id] = f"{task_id} {_dumps(registry.convert(task))}"
        prints[task_id] = _fingerprint(task)
    if len(fragments) != len(workflow.tasks):
        for gone in set(fragments) - set(workflow.tasks):
            del fragments[gone]
            del prints[gone]
    return "\n".join((STATE_MARKER, _dumps(_header(registry, workflow)), *fragments.values())).encode()


def load_state(registry: Any, blob: bytes, process: ProcessSpec, script_engine: Any) -> Instance:
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
    workflow = registry.restore(dct)
    workflow.script_engine = script_engine
    instance = Instance(workflow, process)
    instance.fragments = stored
    instance.prints = {task_id: _fingerprint(task) for task_id, task in workflow.tasks.items()}
    return instance


def full_state(registry: Any, instance: Instance) -> dict[str, Any]:
    """The stock SpiffWorkflow serialization without the spec (to check the incremental one)."""
    dct = registry.convert(instance.workflow)
    for key in ("spec", "subprocess_specs"):
        dct.pop(key, None)
    state = json.loads(_dumps(dct))
    for task in _all_task_dicts(state):
        delta = task.get("delta") or {}
        if "deletions" in delta:  # a set written as a list: its order follows the parent's keys
            delta["deletions"] = sorted(delta["deletions"])
    return state


def _dirty_tasks(instance: Instance) -> set[UUID]:
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


def _header(registry: Any, workflow: BpmnWorkflow) -> dict[str, Any]:
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
