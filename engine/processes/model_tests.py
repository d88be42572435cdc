"""Test cases stored with a model and run against every draft at review: a failing one blocks the deploy.

A process owner writes them into the process's extension elements, so they travel with the file through
the editor, the Camunda Modeler and every deployed version::

    <bpmn:extensionElements>
      <lotse:tests xmlns:lotse="http://lotse.starkestelle/tests">
        <lotse:test name="MITTEL bis zum Abschluss">
          <lotse:task id="eingang">{"kontaktkanal": "telefon", "land": "NW"}</lotse:task>
          <lotse:wait for="nachfassen"/>
          <lotse:expect ends="true" passed="fall_abgeschlossen" open=""/>
        </lotse:test>
      </lotse:tests>
    </bpmn:extensionElements>

``start`` (optional, JSON): the case's variables when it starts, as a start form gives them. ``task``: the
user task must be open; it is completed with the values (JSON, checked against its form
as the task page checks them). ``wait``: time passes to the next timer, again until the task named in
``for`` is open. ``expect``: ``ends`` whether the process has ended, ``open`` the user tasks open at the
end (space separated), ``passed`` elements the run went through. A test runs in memory at a fixed
Monday morning; nothing is stored.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.bpmn.clock import clock_at
from engine.bpmn.errors import ExecutionError
from engine.bpmn.files import ModelProblem
from engine.bpmn.forms import validate
from engine.bpmn.instance import Instance
from engine.bpmn.parsing import ProcessSpec
from engine.calendar.business_calendar import BERLIN
from engine.kernel.context import EngineContext

NS = "http://lotse.starkestelle/tests"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
START = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)  # a Monday morning in office hours, no holiday near
MAX_WAITS = 20  # timers a single ``wait`` may fire before the test counts as stuck
Message = tuple[str, str]  # German, English
TEST_PREFIX = "Model test “"  # how every problem of a test case begins (in English)


@dataclass(frozen=True)
class Step:
    kind: str  # "task" or "wait"
    element_id: str | None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelTest:
    name: str
    steps: tuple[Step, ...]
    ends: bool | None = None
    open: tuple[str, ...] | None = None
    passed: tuple[str, ...] = ()
    start: dict[str, Any] = field(default_factory=dict)  # the case's variables at the start (start form)


class _Failed(Exception):
    def __init__(self, element_id: str | None, german: str, english: str) -> None:
        super().__init__(english)
        self.element_id = element_id
        self.message: Message = (german, english)


def read_tests(root: Any) -> tuple[list[ModelTest], list[ModelProblem]]:
    """The test cases in a BPMN document (its parsed root), and problems with how they are written."""
    tests: list[ModelTest] = []
    problems: list[ModelProblem] = []
    for number, element in enumerate(root.iter(f"{{{NS}}}test"), start=1):
        name = element.get("name") or f"Test {number}"
        try:
            tests.append(_read_test(name, element))
        except _Failed as failed:
            problems.append(_problem(name, failed))
    return tests, problems


def _read_test(name: str, element: Any) -> ModelTest:
    steps: list[Step] = []
    ends: bool | None = None
    open_tasks: tuple[str, ...] | None = None
    passed: tuple[str, ...] = ()
    start: dict[str, Any] = {}
    for child in element:
        kind = child.tag.removeprefix(f"{{{NS}}}") if isinstance(child.tag, str) else ""
        if kind == "start":
            start = _values(child)
        elif kind == "task":
            steps.append(Step("task", child.get("id"), _values(child)))
        elif kind == "wait":
            steps.append(Step("wait", child.get("for")))
        elif kind == "expect":
            if child.get("ends") is not None:
                ends = child.get("ends", "").strip().lower() == "true"
            if child.get("open") is not None:
                open_tasks = tuple(sorted(child.get("open", "").split()))
            passed = tuple(child.get("passed", "").split())
    return ModelTest(name, tuple(steps), ends, open_tasks, passed, start)


def _values(child: Any) -> dict[str, Any]:
    text = (child.text or "").strip()
    if not text:
        return {}
    try:
        values = json.loads(text)
    except ValueError as error:
        raise _Failed(
            child.get("id"),
            f"Die Werte für „{child.get('id')}“ sind kein gültiges JSON ({error.msg}, Zeile {error.lineno}).",
            f"The values for “{child.get('id')}” are not valid JSON ({error.msg}, line {error.lineno}).",
        ) from error
    if not isinstance(values, dict):
        raise _Failed(
            child.get("id"),
            f'Die Werte für „{child.get("id")}“ müssen ein JSON-Objekt sein, z. B. {{"feld": "wert"}}.',
            f'The values for “{child.get("id")}” must be a JSON object, e.g. {{"field": "value"}}.',
        )
    return values


# Contents (hash of the files) whose tests all passed: the same files at the same fixed start pass again,
# so deploying a reviewed draft or the shipped model once more does not run them twice.
_PASSED: OrderedDict[str, None] = OrderedDict()
_REMEMBERED = 64


def test_problems(
    ctx: EngineContext, root: Any, process: ProcessSpec, content: str | None = None
) -> list[ModelProblem]:
    """Every stored test case run against ``process``: one blocking problem per failing test."""
    if content is not None and content in _PASSED:
        return []
    tests, problems = read_tests(root)
    known = {element.get("id") for element in root.iter() if isinstance(element.tag, str)} - {None}
    for test in tests:
        try:
            _check_names(test, known)
            run_test(ctx, process, test)
        except _Failed as failed:
            problems.append(_problem(test.name, failed))
    if content is not None and not problems:
        _PASSED[content] = None
        while len(_PASSED) > _REMEMBERED:
            _PASSED.popitem(last=False)
    return problems


def _check_names(test: ModelTest, known: set[str]) -> None:
    """A test that names an element the model does not have says so (a typo, or the element was removed)."""
    named = [step.element_id for step in test.steps if step.element_id]
    for element_id in [*named, *(test.open or ()), *test.passed]:
        if element_id not in known:
            raise _Failed(
                None,
                f"„{element_id}“ ist kein Element des Modells (umbenannt oder entfernt?).",
                f"“{element_id}” is not an element of the model (renamed or removed?).",
            )


def _problem(name: str, failed: _Failed) -> ModelProblem:
    german, english = failed.message
    return ModelProblem(
        failed.element_id, f"{TEST_PREFIX}{name}”: {english}", german=f"Modelltest „{name}“: {german}"
    )


def run_test(ctx: EngineContext, process: ProcessSpec, test: ModelTest) -> None:
    """Run one test case in memory; raises _Failed with what went differently."""
    now = START
    with clock_at(now):
        instance = _guarded(None, lambda: ctx.runtime.start(process, test.start))
    for number, step in enumerate(test.steps, start=1):
        if step.kind == "wait":
            now = _wait(instance, step, number, now)
            continue
        with clock_at(now):
            _complete(instance, step, number)
    _check_end(instance, test)


def _open(instance: Instance) -> dict[str, str]:
    """Open user tasks: element id → task id."""
    return {task.element_id: task.id for task in instance.human_tasks()}


def _names(element_ids: Any) -> str:
    return ", ".join(sorted(element_ids)) or "–"


def _complete(instance: Instance, step: Step, number: int) -> None:
    open_tasks = _open(instance)
    task_id = open_tasks.get(step.element_id or "")
    if task_id is None:
        raise _Failed(
            step.element_id,
            f"Schritt {number} erwartet die offene Aufgabe „{step.element_id}“; offen: {_names(open_tasks)}.",
            f"step {number} expects the open task “{step.element_id}”; open: {_names(open_tasks)}.",
        )
    values, errors = validate(instance.form_for(task_id), step.values)
    if errors:
        field_id, (german, english) = next(iter(errors.items()))
        raise _Failed(
            step.element_id,
            f"Schritt {number} („{step.element_id}“), Feld „{field_id}“: {german}",
            f"step {number} (“{step.element_id}”), field “{field_id}”: {english}",
        )
    _guarded(step.element_id, lambda: (instance.complete(task_id, values), instance.advance()))


def _wait(instance: Instance, step: Step, number: int, now: datetime) -> datetime:
    for _ in range(MAX_WAITS):
        due = instance.next_timer_at()
        if due is None:
            break
        now = max(now, due + timedelta(seconds=1))
        with clock_at(now):
            _guarded(None, instance.advance)
        if step.element_id is None or step.element_id in _open(instance):
            return now
    if step.element_id is None:
        raise _Failed(
            None,
            f"Schritt {number} wartet auf einen Zeitgeber, aber keiner läuft.",
            f"step {number} waits for a timer, but none is running.",
        )
    raise _Failed(
        step.element_id,
        f"Schritt {number} wartet auf die Aufgabe „{step.element_id}“, sie wird nicht offen; offen: "
        f"{_names(_open(instance))}.",
        f"step {number} waits for the task “{step.element_id}”, it never opens; open: {_names(_open(instance))}.",
    )


def _check_end(instance: Instance, test: ModelTest) -> None:
    open_tasks = _open(instance)
    if test.ends is not None and instance.completed != test.ends:
        german = "beendet" if test.ends else "noch laufen"
        english = "have ended" if test.ends else "still be running"
        raise _Failed(
            None,
            f"Der Prozess sollte am Ende {german}; offen: {_names(open_tasks)}.",
            f"the process should {english} at the end; open: {_names(open_tasks)}.",
        )
    if test.open is not None and tuple(sorted(open_tasks)) != test.open:
        raise _Failed(
            None,
            f"Am Ende sollten offen sein: {_names(test.open)}; offen sind: {_names(open_tasks)}.",
            f"at the end these should be open: {_names(test.open)}; open are: {_names(open_tasks)}.",
        )
    active, done = instance.element_states()
    for element_id in test.passed:
        if element_id not in done and element_id not in active:
            raise _Failed(
                element_id,
                f"Der Ablauf sollte „{element_id}“ erreichen, tut es aber nicht.",
                f"the run should reach “{element_id}”, but does not.",
            )


def _guarded(element_id: str | None, action: Any) -> Any:
    try:
        return action()
    except ExecutionError as error:
        raise _Failed(
            getattr(error, "element_id", None) or element_id,
            f"Fehler beim Ausführen: {error}",
            f"failed while running: {error}",
        ) from error
