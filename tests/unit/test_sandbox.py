"""Tests for the RestrictedPython sandbox that runs process-model code."""

import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from engine.sandbox.restricted import Sandbox, SandboxViolation, compile_code


def _arbeitstage(n: int) -> str:
    return f"2026-01-0{1 + n}T18:00:00+01:00"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox({"arbeitstage": _arbeitstage})


# --- hostile input refused at compile time -------------------------------------------------------

COMPILE_TIME_REFUSALS: list[tuple[str, str, str]] = [
    ("import os", "exec", "import"),
    ("from os import path", "exec", "import"),
    ("__import__('os')", "eval", "__import__"),
    ("().__class__.__base__.__subclasses__()", "eval", "__class__"),
    ("getattr((), '__class__')", "eval", "getattr"),
    ("eval('1+1')", "eval", "Eval"),
    ("exec('x=1')", "eval", "Exec"),
    ("globals()", "eval", "globals"),
    ("locals()", "eval", "locals"),
    ("vars()", "eval", "vars"),
    ("compile('1', 'x', 'eval')", "eval", "compile"),
    ("type('X', (), {})", "eval", "type"),
    ("(lambda: 0).__code__", "eval", "__code__"),
    ("'{0.__class__}'.format(1)", "eval", "format"),
    ("'{x}'.format_map({})", "eval", "format_map"),
    ("str.format('{0.__class__}', 1)", "eval", "format"),
    ("[c for c in ().__class__.__bases__]", "eval", "__bases__"),
    ("(x for x in ()).gi_frame", "eval", "gi_frame"),
    ("int.mro()", "eval", "mro"),
    ("f'{x.__class__}'", "eval", "__class__"),
    ("ｏｐｅｎ('/etc/passwd')", "eval", "open"),
    ("_geheim", "eval", "_geheim"),
    ("fall._daten", "eval", "_daten"),
    ("_x = 1", "exec", "_x"),
    ("class A:\n    pass", "exec", "class"),
    ("print(1)", "exec", "print"),
]


@pytest.mark.parametrize(("source", "mode", "named"), COMPILE_TIME_REFUSALS)
def test_check_refuses_hostile_source(sandbox: Sandbox, source: str, mode: Any, named: str) -> None:
    with pytest.raises(SandboxViolation) as caught:
        sandbox.check(source, mode)
    assert named in str(caught.value)
    assert caught.value.source == source
    assert caught.value.mode == mode
    assert caught.value.reasons


@pytest.mark.parametrize(("source", "mode", "named"), COMPILE_TIME_REFUSALS)
def test_running_hostile_source_raises_violation_and_leaves_context_alone(
    sandbox: Sandbox, source: str, mode: Any, named: str
) -> None:
    context = {"fall": {"id": 1}}
    run = sandbox.evaluate if mode == "eval" else sandbox.execute
    with pytest.raises(SandboxViolation):
        run(source, context)
    assert context == {"fall": {"id": 1}}


def test_open_is_refused_and_creates_no_file(sandbox: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    with pytest.raises(SandboxViolation, match="open"):
        sandbox.execute(f"open({str(target)!r}, 'w').write('x')", {})
    assert not target.exists()


def test_open_of_etc_passwd_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxViolation, match="open"):
        sandbox.check("open('/etc/passwd')", "eval")


def test_import_in_script_runs_nothing(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    with pytest.raises(SandboxViolation):
        sandbox.execute("marker = 1\nimport os\nos.system('true')", context)
    assert "marker" not in context


def test_violation_lists_every_reason() -> None:
    with pytest.raises(SandboxViolation) as caught:
        Sandbox().check("().__class__.__base__", "eval")
    message = str(caught.value)
    assert message.startswith("The sandbox refused this expression:")
    assert "__class__" in message
    assert "__base__" in message
    assert len(caught.value.reasons) == 2


def test_syntax_errors_are_violations(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxViolation, match="SyntaxError"):
        sandbox.check("x ==", "eval")
    with pytest.raises(SandboxViolation, match="outside function"):
        sandbox.check("x = 1\nreturn x", "exec")
    with pytest.raises(SandboxViolation, match="null bytes"):
        sandbox.check("x\0", "eval")


def test_violation_survives_pickling() -> None:
    violation = SandboxViolation("import os", "exec", ["Line 1: import statements are not allowed."])
    copy = pickle.loads(pickle.dumps(violation))
    assert (copy.source, copy.mode, copy.reasons) == ("import os", "exec", violation.reasons)
    assert str(copy) == str(violation)


# --- hostile input that compiles but fails at run time -------------------------------------------


def test_open_reached_without_a_call_is_not_defined(sandbox: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    source = f"[open][0]({str(target)!r}, 'w')"
    sandbox.check(source, "eval")
    with pytest.raises(NameError, match="open"):
        sandbox.evaluate(source, {})
    assert not target.exists()


@pytest.mark.parametrize(
    "name",
    [
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "type",
        "object",
        "globals",
        "locals",
        "vars",
        "dir",
        "compile",
        "input",
        "memoryview",
        "super",
        "eval",
        "exec",
        "SystemExit",
        "KeyboardInterrupt",
        "BaseException",
    ],
)
def test_dangerous_builtins_do_not_exist(sandbox: Sandbox, name: str) -> None:
    with pytest.raises(NameError, match=name):
        sandbox.evaluate(f"[{name}]", {})


def test_raising_system_exit_is_impossible(sandbox: Sandbox) -> None:
    with pytest.raises(NameError, match="SystemExit"):
        sandbox.execute("raise SystemExit(1)", {})


def test_attribute_writes_on_helpers_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(TypeError, match="cannot be modified"):
        sandbox.execute("arbeitstage.gekapert = 1", {})
    assert not hasattr(_arbeitstage, "gekapert")


def test_missing_attribute_raises_instead_of_returning_none(sandbox: Sandbox) -> None:
    with pytest.raises(AttributeError):
        sandbox.evaluate("x.gibtsnicht", {"x": 1})


def test_call_service_is_not_supported(sandbox: Sandbox) -> None:
    with pytest.raises(NotImplementedError, match="service tasks are not supported"):
        sandbox.call_service({}, operation_name="x")


# --- allowed constructs ----------------------------------------------------------------------------

ALLOWED: list[tuple[str, dict[str, Any], Any]] = [
    ("1 + 2 * 3 - 4 / 2", {}, 5.0),
    ("7 // 2 == 3 and 2 ** 3 >= 8 and 7 % 4 != 2", {}, True),
    ("risikostufe in ('AKUT', 'HOCH')", {"risikostufe": "HOCH"}, True),
    ("risikostufe in ('AKUT', 'HOCH')", {"risikostufe": "NIEDRIG"}, False),
    ("{'A': 1}.get(x, 2)", {"x": "A"}, 1),
    ("{'A': 1}.get(x, 2)", {"x": "B"}, 2),
    ("[n * 2 for n in zahlen if n > 1]", {"zahlen": [1, 2, 3]}, [4, 6]),
    ("{k: v for k, v in paare}", {"paare": [("a", 1), ("b", 2)]}, {"a": 1, "b": 2}),
    ("len(vorfallarten) > 0", {"vorfallarten": ["gewalt"]}, True),
    ("'kein_vorfall' in (vorfallarten or [])", {"vorfallarten": None}, False),
    ("'kein_vorfall' in (vorfallarten or [])", {"vorfallarten": ["kein_vorfall"]}, True),
    ("4 < x < 6", {"x": 5}, True),
    ("4 < x < 6", {"x": 6}, False),
    ("f'{name}: {betrag:.2f} {name!r}'", {"name": "A", "betrag": 3.5}, "A: 3.50 'A'"),
    ("fall['stufe'] + str(fall['nr'])", {"fall": {"stufe": "B", "nr": 2}}, "B2"),
    ("zahlen[1:] + zahlen[:1]", {"zahlen": [1, 2, 3]}, [2, 3, 1]),
    ("'ja' if x else 'nein'", {"x": 0}, "nein"),
    ("sum(n for n in range(5)) + abs(-1) + round(2.567, 2)", {}, 13.57),
    ("sorted(zip([2, 1], 'ba'))", {}, [(1, "a"), (2, "b")]),
    ("any([0, 1]) and not all([0, 1])", {}, True),
    ("max(*zahlen) + min(zahlen)", {"zahlen": [3, 9, 4]}, 12),
    ("dict(**extra, b=2)", {"extra": {"a": 1}}, {"a": 1, "b": 2}),
    ("list(reversed([1, 2])) + list(map(abs, [-3])) + list(filter(None, [0, 4]))", {}, [2, 1, 3, 4]),
    ("tuple(enumerate('ab'))", {}, ((0, "a"), (1, "b"))),
    ("set([1, 1, 2]) == {1, 2}", {}, True),
    ("isinstance(x, int) and bool(x) and int('3') + float('0.5')", {"x": 1}, 3.5),
    ("'a,b'.split(',') + [s.upper() for s in ['c']]", {}, ["a", "b", "C"]),
    ("timedelta(days=1)", {}, timedelta(days=1)),
    ("date(2026, 1, 2) - date(2026, 1, 1)", {}, timedelta(days=1)),
    ("Decimal('1.10') + Decimal('2.20')", {}, Decimal("3.30")),
    (
        "datetime.fromisoformat('2026-01-01T10:00:00+01:00')",
        {},
        datetime(2026, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
    ),
    (
        "datetime.fromisoformat(frist) < datetime.fromisoformat(jetzt)",
        {
            "frist": "2026-01-01T10:00:00+01:00",
            "jetzt": "2026-01-01T10:00:00+00:00",
        },
        True,
    ),
    ("arbeitstage(1)", {}, "2026-01-02T18:00:00+01:00"),
    ("\n    x > 1\n  ", {"x": 2}, True),
    ("None is None and True is not False", {}, True),
    ("type == 'Beratung' and open", {"type": "Beratung", "open": True}, True),
]


@pytest.mark.parametrize(("expression", "context", "expected"), ALLOWED)
def test_allowed_expressions_compute_correctly(
    sandbox: Sandbox, expression: str, context: dict[str, Any], expected: Any
) -> None:
    assert sandbox.evaluate(expression, context) == expected


def test_timezone_aware_datetime_from_expression(sandbox: Sandbox) -> None:
    moment = sandbox.evaluate("datetime.fromisoformat('2026-01-01T10:00:00+01:00')", {})
    assert moment.astimezone(UTC) == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def test_external_context_is_visible_to_evaluate(sandbox: Sandbox) -> None:
    assert sandbox.evaluate("4 < dmninputexpr < 6", {}, {"dmninputexpr": 5}) is True


def test_task_data_wins_over_external_context_in_evaluate(sandbox: Sandbox) -> None:
    assert sandbox.evaluate("x", {"x": "task"}, {"x": "external"}) == "task"


def test_evaluate_does_not_modify_context(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {"zahlen": [1, 2], "fall": {"a": 1}}
    sandbox.evaluate("[z for z in zahlen] + [arbeitstage(1)]", context, {"extern": 1})
    assert context == {"zahlen": [1, 2], "fall": {"a": 1}}


def test_guards_cannot_be_replaced_through_task_data(sandbox: Sandbox) -> None:
    context = {"_getattr_": "kaputt", "__builtins__": {}}
    assert sandbox.evaluate("'a'.upper() + str(len('xy'))", context) == "A2"


# --- execute semantics -----------------------------------------------------------------------------

SCRIPT = """
gesamt = 0
for betrag in betraege:
    gesamt += betrag
notizen = []
notizen.append('start')
notizen.append(f'summe={gesamt}')
daten = {}
daten['frist'] = arbeitstage(2)
erster, zweiter = betraege[0], betraege[1]
zwischen = gesamt * 10
del zwischen
del veraltet

def verdoppeln(n):
    return n * 2

doppelt = verdoppeln(gesamt)
heute = date(2026, 1, 1)
"""


def test_execute_assigns_variables_into_context(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {"betraege": [1, 2, 3], "veraltet": True}
    assert sandbox.execute(SCRIPT, context) is True
    assert context == {
        "betraege": [1, 2, 3],
        "betrag": 3,
        "gesamt": 6,
        "notizen": ["start", "summe=6"],
        "daten": {"frist": "2026-01-03T18:00:00+01:00"},
        "erster": 1,
        "zweiter": 2,
        "doppelt": 12,
        "heute": date(2026, 1, 1),
    }


def test_execute_leaves_no_builtins_guards_helpers_or_callables(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    sandbox.execute("f = len\nklasse = datetime\nwert = 1", context, {"extern": 2})
    assert context == {"wert": 1}
    assert not any(name.startswith("_") for name in context)


def test_execute_sees_external_context_and_removes_it(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    sandbox.execute("ergebnis = extern * 2", context, {"extern": 21})
    assert context == {"ergebnis": 42}


def test_execute_cleans_context_when_script_fails(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    with pytest.raises(ZeroDivisionError):
        sandbox.execute("vorher = 1\nnachher = 1 / 0", context, {"extern": 2})
    assert context == {"vorher": 1}


def test_execute_allows_item_writes_on_dicts_lists_and_sets(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {"d": {}, "liste": [0, 0], "menge": set()}
    sandbox.execute("d['a'] = 1\nliste[0] = 5\ndel liste[1]\nmenge.add(3)\ndel d['a']", context)
    assert context == {"d": {}, "liste": [5], "menge": {3}}


def test_execute_refuses_writes_on_other_objects(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {"t": (1, 2)}
    with pytest.raises(TypeError, match="tuple"):
        sandbox.execute("t[0] = 5", context)
    assert context == {"t": (1, 2)}


def test_execute_supports_augmented_assignment_operators(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    script = "n = 10\nn -= 1\nn *= 2\nn //= 4\nn **= 2\ns = 'a'\ns += 'b'\nl = [1]\nl += [2]"
    sandbox.execute(script, context)
    assert context == {"n": 16, "s": "ab", "l": [1, 2]}


@pytest.mark.parametrize("shadowing", ["arbeitstage", "_getattr_"])
def test_execute_refuses_task_data_shadowing_predefined_names(sandbox: Sandbox, shadowing: str) -> None:
    context = {shadowing: 3, "x": 1}
    with pytest.raises(ValueError, match=shadowing):
        sandbox.execute("y = x", context)
    assert context == {shadowing: 3, "x": 1}


def test_execute_refuses_task_data_shadowing_external_context(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="extern"):
        sandbox.execute("y = 1", {"extern": 1}, {"extern": 2})


def test_task_data_may_use_names_of_exposed_classes(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {"date": "2026-01-01"}
    sandbox.execute("tag = date + 'T00:00'", context)
    assert context["tag"] == "2026-01-01T00:00"


# --- caching and helpers ---------------------------------------------------------------------------


def test_compile_is_cached_per_source_and_mode() -> None:
    source = "zahl_fuer_cache_test + 1"
    first = compile_code(source, "eval")
    hits = compile_code.cache_info().hits
    assert compile_code(source, "eval") is first
    assert compile_code.cache_info().hits == hits + 1
    assert compile_code(source, "exec") is not first


def test_sandboxes_share_the_compile_cache(sandbox: Sandbox) -> None:
    expression = "arbeitstage(1) + geteilter_cache"
    sandbox.evaluate(expression, {"geteilter_cache": ""})
    misses = compile_code.cache_info().misses
    other = sandbox.with_helpers({"kalendertage": lambda n: n})
    other.check(expression, "eval")
    assert other.evaluate(expression, {"geteilter_cache": "!"}) == "2026-01-02T18:00:00+01:00!"
    assert compile_code.cache_info().misses == misses


def test_with_helpers_adds_helpers_without_changing_the_original(sandbox: Sandbox) -> None:
    extended = sandbox.with_helpers({"jetzt": lambda: "2026-01-01T09:00:00+01:00"})
    assert extended.evaluate("jetzt() < arbeitstage(1)", {}) is True
    assert set(extended.helpers) == {"arbeitstage", "jetzt"}
    assert set(sandbox.helpers) == {"arbeitstage"}
    with pytest.raises(NameError, match="jetzt"):
        sandbox.evaluate("jetzt()", {})


@pytest.mark.parametrize("name", ["_privat", "open", "getattr", "print", "eval", "nicht gültig", "class"])
def test_unusable_helper_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="helper name"):
        Sandbox({name: _arbeitstage})


def test_helpers_must_be_callable() -> None:
    not_callable: Any = 42
    with pytest.raises(TypeError, match="not callable"):
        Sandbox({"antwort": not_callable})


# --- SpiffWorkflow integration ---------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="test">
  <bpmn:process id="sandbox_test" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="bewerten"/>
    <bpmn:scriptTask id="bewerten">
      <bpmn:script>SCRIPT</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="bewerten" targetRef="weiche"/>
    <bpmn:exclusiveGateway id="weiche" default="f_normal"/>
    <bpmn:sequenceFlow id="f_eskaliert" sourceRef="weiche" targetRef="markieren">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">
        stufe in ('AKUT', 'HOCH')
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_normal" sourceRef="weiche" targetRef="ende"/>
    <bpmn:scriptTask id="markieren">
      <bpmn:script>eskaliert = True</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="markieren" targetRef="ende"/>
    <bpmn:endEvent id="ende"/>
  </bpmn:process>
</bpmn:definitions>
"""
RATING_SCRIPT = "stufe = 'HOCH' if punkte &gt; 5 else 'NIEDRIG'\nfrist = arbeitstage(2)"


def _spiff_engine(helpers: dict[str, Callable[..., Any]]) -> Any:
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

    return PythonScriptEngine(environment=Sandbox(helpers))


def _spiff_workflow(script: str, data: dict[str, Any]) -> Any:
    """A ready-to-run workflow: script task, then a gateway on ``stufe``."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.replace("SCRIPT", script).encode())
    engine = _spiff_engine({"arbeitstage": _arbeitstage})
    workflow = BpmnWorkflow(parser.get_spec("sandbox_test"), script_engine=engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return workflow


def test_spiff_script_engine_evaluates_through_the_sandbox() -> None:
    script_engine = _spiff_engine({"arbeitstage": _arbeitstage})
    assert script_engine.environment.evaluate("arbeitstage(1)", {}) == "2026-01-02T18:00:00+01:00"
    task = SimpleNamespace(data={"risikostufe": "AKUT"})
    assert script_engine.evaluate(task, "risikostufe in ('AKUT', 'HOCH')") is True


@pytest.mark.parametrize(("punkte", "stufe", "eskaliert"), [(7, "HOCH", True), (2, "NIEDRIG", False)])
def test_spiff_workflow_runs_scripts_and_gateways_in_the_sandbox(
    punkte: int, stufe: str, eskaliert: bool
) -> None:
    workflow = _spiff_workflow(RATING_SCRIPT, {"punkte": punkte})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["stufe"] == stufe
    assert workflow.data["frist"] == "2026-01-03T18:00:00+01:00"
    assert workflow.data.get("eskaliert", False) is eskaliert
    assert "arbeitstage" not in workflow.data
    assert "__builtins__" not in workflow.data


def test_spiff_workflow_reports_hostile_script_as_task_error(tmp_path: Path) -> None:
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

    target = tmp_path / "escaped.txt"
    workflow = _spiff_workflow(f"import os\nos.system('touch {target}')", {"punkte": 1})
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.error_type == "SandboxViolation"
    assert "import statements are not allowed" in str(caught.value)
    assert not target.exists()
    assert not workflow.is_completed()
