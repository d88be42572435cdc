"""The difference between two versions of a model, by BPMN element, as the review shows it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff

from engine.bpmn.parsing import ProcessSpec
from engine.bpmn.runtime import Runtime


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
    registry = runtime.registry
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
