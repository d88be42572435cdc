"""Lint rules a process model must pass before deployment, beyond parsing and the sandbox compile.

Each rule names the element it is about. Errors stop a deployment; warnings are shown and allowed.
- every user task has a candidate group or a lane (error) and a form, ``camunda:formData`` (warning:
  a task that is only confirmed as done is legitimate);
- every timer, due-date, follow-up and priority expression evaluates (when it needs no case data) to
  a value of the right kind; a name that nothing in the model sets and no helper provides is flagged;
- no code of the model can be seen to run away (``engine.sandbox.runaway``: ``while True`` without a
  way out, a loop whose condition nothing changes, literals beyond the bounds), and gateway conditions,
  scripts and DMN cells that need no case data run in the trial without breaking a bound or failing;
- every exclusive gateway has a default flow or conditions that provably cover every case;
- variables written by decisions and scripts do not use reserved names or hide a helper function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from datetime import datetime

from engine.bpmn.analysis import (
    GatewayFact,
    ModelCode,
    WrittenVariable,
    gateway_facts,
    model_code,
    timer_facts,
    timer_value_fits,
    written_variables,
)
from engine.bpmn.files import ModelProblem
from engine.bpmn.forms import is_reserved
from engine.bpmn.parsing import ProcessSpec
from engine.processes.task_groups import delivered_variables, task_group_problems
from engine.sandbox.restricted import Mode, Sandbox, SandboxViolation
from engine.sandbox.runaway import Finding, runaway_constructs
from engine.sandbox.trial import TIME_LIMIT_SECONDS, Trial, try_code, try_expressions

TASK_EXPRESSIONS = (("dueDate", "date"), ("followUpDate", "date"), ("priority", "priority"))
EXPECTED = {
    "date": ("an ISO 8601 date-time with offset", "ein Zeitpunkt nach ISO 8601 mit Zeitzonen-Offset"),
    "duration": ("an ISO 8601 duration such as 'PT4H'", "eine Dauer nach ISO 8601 wie 'PT4H'"),
    "cycle": ("an ISO 8601 cycle such as 'R3/PT1H'", "ein Zyklus nach ISO 8601 wie 'R3/PT1H'"),
    "priority": ("a number from 0 to 100", "eine Zahl von 0 bis 100"),
}


TRIED_KINDS = frozenset({"condition", "script", "dmn"})  # timers and task expressions: see below


def lint(
    process: ProcessSpec, sandbox: Sandbox, now: datetime, staff: frozenset[str] = frozenset()
) -> list[ModelProblem]:
    """Every rule's problems; ``staff``: the usernames of active staff (a task may name one as assignee)."""
    written = written_variables(process)
    pieces = [code for code in model_code(process) if _compiles(sandbox, code.source, code.mode)]
    runaways = {code: runaway_constructs(code.source, code.mode, sandbox.limits) for code in pieces}
    seen = {(code.element_id, code.source) for code, found in runaways.items() if found}
    tried = [code for code in pieces if code.kind in TRIED_KINDS and not runaways[code]]
    problems = [
        *_user_task_problems(process, staff),
        *_runaway_problems(runaways),
        *_expression_problems(
            process,
            sandbox,
            now,
            {variable.name for variable in written} | delivered_variables(process),
            seen,
        ),
        *_code_problems(tried, sandbox, now),
        *_gateway_problems(gateway_facts(process), _enum_options(process)),
        *_variable_problems(written, frozenset(sandbox.helpers)),
    ]
    return problems


def _user_tasks(process: ProcessSpec) -> Iterator[tuple[str, object]]:
    for spec in [process.spec, *process.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "manual", False) and getattr(task_spec, "bpmn_id", None):
                yield task_spec.bpmn_id, task_spec


def _user_task_problems(process: ProcessSpec, staff: frozenset[str]) -> Iterator[ModelProblem]:
    for element, task_spec in _user_tasks(process):
        yield from task_group_problems(element, task_spec, staff)
        if hasattr(task_spec, "form") and not process.form_for(task_spec).fields:
            yield ModelProblem(
                element,
                "The user task has no form (camunda:formData with at least one field): it can only be "
                "marked as done.",
                "warning",
                "Die Benutzeraufgabe hat kein Formular (camunda:formData mit mindestens einem Feld): Sie "
                "kann nur als erledigt markiert werden.",
            )


def _expression_problems(
    process: ProcessSpec, sandbox: Sandbox, now: datetime, variables: set[str], runaways: set[tuple[str, str]]
) -> Iterator[ModelProblem]:
    """Timer, due-date, follow-up and priority expressions: tried, and their values judged (those seen to
    run away are reported by _runaway_problems)."""
    found = [(timer.element_id, "timer", timer.kind, timer.expression) for timer in timer_facts(process)]
    for element, task_spec in _user_tasks(process):
        extensions = getattr(task_spec, "extensions", None) or {}
        for attribute, kind in TASK_EXPRESSIONS:
            source = extensions.get(f"camunda:{attribute}")
            if source:
                found.append((element, attribute, kind, source))
    compiled = [
        expression
        for expression in found
        if _compiles(sandbox, expression[3], "eval") and (expression[0], expression[3]) not in runaways
    ]
    trials = try_expressions(sandbox, now, [source for *_, source in compiled])
    for (element, what, kind, _source), trial in zip(compiled, trials, strict=True):
        yield from _judged(trial, variables, element, what, kind)


def _compiles(sandbox: Sandbox, source: str, mode: Mode) -> bool:
    """Whether the sandbox accepts the code (what it refuses, its own check reports)."""
    try:
        sandbox.check(source, mode)
    except SandboxViolation:
        return False
    return True


def _judged(trial: Trial, variables: set[str], element: str, what: str, kind: str) -> Iterator[ModelProblem]:
    """What the trial run of an expression that needs no case data says; one that needs some is checked
    for unknown names only."""
    if trial.timed_out or trial.breach is not None:
        yield _unfinished(element, what, trial)
        return
    if trial.missing is not None:
        if trial.missing not in variables:
            name = trial.missing
            yield ModelProblem(
                element,
                f"{what}: no element of the model sets {name!r} and there is no such helper function.",
                "warning",
                f"{what}: Kein Element des Modells setzt {name!r}, und es gibt keine solche Hilfsfunktion.",
            )
        return
    if trial.failure is not None:
        yield ModelProblem(
            element,
            f"{what}: the expression fails: {trial.failure}",
            german=f"{what}: Der Ausdruck schlägt fehl: {trial.failure}",
        )
        return
    value = trial.value
    if kind == "priority":
        fits = not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value <= 100
    else:
        fits = timer_value_fits(kind, value)
    if not fits:
        english, german = EXPECTED[kind]
        yield ModelProblem(
            element,
            f"{what}: expected {english}, got {value!r}.",
            german=f"{what}: Erwartet wird {german}, der Ausdruck ergibt {value!r}.",
        )


def _unfinished(element: str, what: str, trial: Trial) -> ModelProblem:
    """The trial of this code broke a run-time bound, or its child process had to be stopped."""
    if trial.breach is not None:
        return ModelProblem(
            element, f"{what}: {trial.breach.english}", german=f"{what}: {trial.breach.german}"
        )
    return ModelProblem(
        element,
        f"{what}: the code did not finish within {TIME_LIMIT_SECONDS:g} s.",
        german=f"{what}: Der Code ist nicht innerhalb von {TIME_LIMIT_SECONDS:g} s fertig geworden.",
    )


# -- runaway code, conditions, scripts, decision cells ---------------------------------------------


def _runaway_problems(runaways: dict[ModelCode, list[Finding]]) -> Iterator[ModelProblem]:
    for code, findings in runaways.items():
        for finding in findings:
            yield ModelProblem(
                code.element_id, f"{code.kind}: {finding.english}.", german=f"{code.kind}: {finding.german}."
            )


def _code_problems(pieces: list[ModelCode], sandbox: Sandbox, now: datetime) -> Iterator[ModelProblem]:
    """Conditions, scripts and DMN cells that need no case data: tried, and stopped if they run away."""
    trials = try_code(
        sandbox, now, [(code.source, "eval" if code.mode == "eval" else "exec") for code in pieces]
    )
    for code, trial in zip(pieces, trials, strict=True):
        if trial.timed_out or trial.breach is not None:
            yield _unfinished(code.element_id, code.kind, trial)
        elif trial.failure is not None:
            yield ModelProblem(
                code.element_id,
                f"{code.kind}: the code fails even without case data: {trial.failure}",
                german=f"{code.kind}: Der Code schlägt schon ohne Falldaten fehl: {trial.failure}",
            )


# -- exclusive gateways ------------------------------------------------------------------------


def _enum_options(process: ProcessSpec) -> dict[str, set[str]]:
    """Variable -> the values an enum form field offers (fields asked in several forms: the common ones)."""
    options: dict[str, set[str]] = {}
    for _element, task_spec in _user_tasks(process):
        if not hasattr(task_spec, "form"):
            continue
        for field in process.form_for(task_spec).fields:
            if field.type == "enum" and not field.multiple:
                offered = {option for option, _label in field.options}
                options[field.id] = options[field.id] & offered if field.id in options else offered
    return options


def _gateway_problems(gateways: Iterable[GatewayFact], enums: dict[str, set[str]]) -> Iterator[ModelProblem]:
    for gateway in gateways:
        if gateway.default_target is not None or not gateway.conditions:
            continue
        if not covers_every_case([condition for condition, _target in gateway.conditions], enums):
            yield ModelProblem(
                gateway.element_id,
                "The exclusive gateway has no default flow and its conditions do not cover every case: "
                "add a default flow.",
                german="Das exklusive Gateway hat keinen Standardfluss, und seine Bedingungen decken nicht "
                "jeden Fall ab: Bitte einen Standardfluss festlegen.",
            )


def covers_every_case(conditions: list[str], enums: dict[str, set[str]]) -> bool:
    """True when some condition is always true whatever the case data (as far as the text shows)."""
    trees = [_expression(condition) for condition in conditions]
    if any(tree is None for tree in trees):
        return False
    dumps = {ast.dump(tree) for tree in trees if tree is not None}
    for tree in trees:
        if tree is not None and ast.dump(_negated(tree)) in dumps:
            return True
    tested: dict[str, set[str]] = {}
    for tree in trees:
        found = _equality_test(tree) if tree is not None else None
        if found is None:
            continue
        name, values = found
        tested.setdefault(name, set()).update(values)
    return any(name in enums and enums[name] <= values for name, values in tested.items())


def _expression(source: str) -> ast.expr | None:
    try:
        return ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None


def _negated(tree: ast.expr) -> ast.expr:
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not):
        return tree.operand
    opposite = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In}
    if isinstance(tree, ast.Compare) and len(tree.ops) == 1 and type(tree.ops[0]) in opposite:
        return ast.Compare(tree.left, [opposite[type(tree.ops[0])]()], tree.comparators)
    return ast.UnaryOp(ast.Not(), tree)


def _equality_test(tree: ast.expr) -> tuple[str, set[str]] | None:
    """``name == 'v'`` or ``name in ('v', 'w')``: the name and the values it tests for."""
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.left, ast.Name)):
        return None
    operator, right = tree.ops[0], tree.comparators[0]
    if isinstance(operator, ast.Eq) and isinstance(right, ast.Constant):
        return tree.left.id, {str(right.value)}
    if isinstance(operator, ast.In) and isinstance(right, ast.Tuple | ast.List | ast.Set):
        values = {str(item.value) for item in right.elts if isinstance(item, ast.Constant)}
        if len(values) == len(right.elts):
            return tree.left.id, values
    return None


# -- variable names ----------------------------------------------------------------------------


def _variable_problems(written: Iterable[WrittenVariable], helpers: frozenset[str]) -> Iterator[ModelProblem]:
    for variable in written:
        if variable.name in helpers:
            yield ModelProblem(
                variable.element_id,
                f"The variable {variable.name!r} ({variable.source}) would hide the helper function "
                "of that name: choose another name.",
                german=f"Die Variable {variable.name!r} ({variable.source}) würde die gleichnamige "
                "Hilfsfunktion verdecken: Bitte einen anderen Namen wählen.",
            )
        elif variable.source != "form" and is_reserved(variable.name):
            yield ModelProblem(
                variable.element_id,
                f"The variable name {variable.name!r} ({variable.source}) is reserved.",
                german=f"Der Variablenname {variable.name!r} ({variable.source}) ist reserviert.",
            )
