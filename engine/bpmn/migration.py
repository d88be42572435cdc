"""Moving running instances to another version of their process: the version diff, obstacles, the move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.errors import ExecutionError, first_line
from engine.bpmn.instance import Instance
from engine.bpmn.parsing import CAMUNDA_TASK_ATTRIBUTES, ProcessSpec
from engine.bpmn.runtime import Runtime

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
        "form_labels",  # what a done step's form was called, not what it holds
        "extensions.name_en",
        "extensions.documentation_en",
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
    registry = runtime.registry
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
    if key == "form" and _unlabelled(before) == _unlabelled(after):
        return "form_labels"
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


def _unlabelled(form: Any) -> Any:
    """A converted form without its German and English labels: the fields, types, options and rules."""
    if not isinstance(form, dict):
        return form
    fields = []
    for field in form.get("fields") or ():
        if not isinstance(field, dict):
            return form
        kept = {key: value for key, value in field.items() if key not in ("label", "properties", "options")}
        kept["options"] = [
            option.get("id") for option in field.get("options") or () if isinstance(option, dict)
        ]
        kept["properties"] = [
            prop
            for prop in field.get("properties") or ()
            if not str((prop or {}).get("id", "")).startswith("label_en")
        ]
        fields.append(kept)
    return {**form, "fields": fields}


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
        raise ExecutionError(where, first_line(error)) from error
    instance.moved_to(diff.target)


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
