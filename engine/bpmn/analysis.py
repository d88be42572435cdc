"""What a model holds, read for its review: the code it runs, its timers, gateways and written variables."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask

from engine.bpmn.dialect import parse_instant
from engine.bpmn.parsing import ProcessSpec

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


# The facts the lint rules read
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
        return isinstance(value, str) and parse_instant(value) is not None
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


def caught_messages(process: ProcessSpec) -> set[str]:
    """The names of the messages the model's events wait for."""
    return {
        definition.name
        for task_spec in _all_task_specs(process)
        if isinstance(definition := getattr(task_spec, "event_definition", None), MessageEventDefinition)
    }
