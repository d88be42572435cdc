"""Run-time bounds of model code: every runaway ends within its bound with a ModelCodeBreach, in process.

Real RestrictedPython and the real clock throughout; the bounds are set low (0.3 s, 64 MiB) so the
suite stays quick, and one test shows the default bound of 1 s.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

import pytest

from engine.sandbox.budget import DEFAULT_LIMITS, Budget, Limits, resident_bytes
from engine.sandbox.errors import ModelCodeBreach, SandboxError
from engine.sandbox.restricted import Sandbox, SandboxViolation

SECONDS = 0.3
# A runaway must end within its bound; the slack absorbs a shared machine's scheduling stalls (a runaway
# without the bound would run for ever, so any finite limit proves the bound).
WITHIN = SECONDS + 1.5
LIMITS = Limits(seconds=SECONDS, memory=64 * 2**20)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox({"arbeitstage": lambda n: f"2026-01-0{1 + n}T18:00:00+01:00"}, LIMITS)


def _breach(
    sandbox: Sandbox, source: str, mode: str, context: dict[str, Any] | None = None
) -> ModelCodeBreach:
    """Run the code, expect a breach, and check it came within three times the time bound."""
    run = sandbox.evaluate if mode == "eval" else sandbox.execute
    started = time.monotonic()
    with pytest.raises(ModelCodeBreach) as caught:
        run(source, {} if context is None else context)
    elapsed = time.monotonic() - started
    assert elapsed < sandbox.limits.seconds + 1.5, f"{source!r} took {elapsed:.2f} s"
    assert caught.value.elapsed <= elapsed
    return caught.value


# --- the vectors of issue 16 -------------------------------------------------------------------------

VECTORS: list[tuple[str, str, str]] = [
    ("n = 0\nwhile n >= 0: pass", "exec", "time"),
    ("x = 10**10**8", "exec", "time"),
    ("x = 'a'*10**10", "exec", "memory"),
    ("f'{1!r:>{10**10}}'", "eval", "memory"),
    ("max(range(10**11)) > 0", "eval", "time"),
    ("liste = []\nwhile True:\n    liste.append('x' * 100000)", "exec", "memory"),
]


@pytest.mark.parametrize(("source", "mode", "bound"), VECTORS)
def test_each_runaway_of_the_issue_ends_within_its_bound(
    sandbox: Sandbox, source: str, mode: str, bound: str
) -> None:
    breach = _breach(sandbox, source, mode)
    assert breach.bound == bound
    assert breach.english and breach.german


def test_the_default_time_bound_is_one_second() -> None:
    assert Limits(seconds=1.0, memory=256 * 2**20) == DEFAULT_LIMITS
    breach = _breach(Sandbox(), "while True:\n    pass", "exec")
    assert breach.bound == "time"
    assert 1.0 <= breach.elapsed < 3.0
    assert breach.english == "Time bound exceeded: the model code ran longer than 1 s and was stopped."
    assert (
        breach.german == "Zeitgrenze überschritten: Der Modellcode lief länger als 1 s und wurde abgebrochen."
    )


def test_a_loop_that_allocates_stops_at_the_memory_allowance(sandbox: Sandbox) -> None:
    before = resident_bytes()
    breach = _breach(sandbox, "liste = []\nwhile True:\n    liste.append('x' * 100000)", "exec")
    assert breach.bound == "memory"
    assert breach.limit == 64 * 2**20
    assert resident_bytes() - before < 4 * breach.limit  # stopped near the allowance, not at exhaustion
    assert "64 MiB" in breach.english and "64 MiB" in breach.german


# --- more ways to run away, each stopped -------------------------------------------------------------

MORE_VECTORS: list[tuple[str, str]] = [
    ("pow(10, 10**8)", "eval"),
    ("1 << 10**10", "eval"),
    ("'a'.ljust(10**10)", "eval"),
    ("str.center('a', 10**10)", "eval"),
    ("'ab'.zfill(10**10)", "eval"),
    ("'\\t'.expandtabs(10**10)", "eval"),
    ("'x'.join(['ab'] * 10**7)", "eval"),
    ("('a' * 1000).replace('', 'b' * 10**6)", "eval"),
    ("'%*d' % (10**10, 1)", "eval"),
    ("'%.10000000000f' % 1.5", "eval"),
    ("f'{1.5:.10000000000f}'", "eval"),
    ("f'{Decimal(\"1e999999999\"):f}'", "eval"),
    ("int(Decimal('1e999999999'))", "eval"),
    ("round(Decimal('1e999999999'))", "eval"),
    ("round(10, -10**9)", "eval"),
    ("(1).to_bytes(10**10, 'big')", "eval"),
    ("int.from_bytes(b'a' * 10**6, 'big')", "eval"),
    ("sum(range(10**11))", "eval"),
    ("sorted(range(10**11))", "eval"),
    ("list(range(10**11))", "eval"),
    ("set(range(10**11))", "eval"),
    ("tuple(range(10**11))", "eval"),
    ("min(range(10**11))", "eval"),
    ("any(x < 0 for x in range(10**11))", "eval"),
    ("all(map(lambda x: True, range(10**11)))", "eval"),
    ("'a' in range(10**11)", "eval"),
    ("[*range(10**11)]", "eval"),
    ("dict.fromkeys(range(10**11))", "eval"),
    ("list(zip(*[range(2**20)] * 100))", "eval"),
    ("sum([[0] * 1000] * 10**5, [])", "eval"),
    ("('é' * 10**7).encode('unicode_escape').decode('latin-1').encode('unicode_escape')", "eval"),
    ("(b'a' * 10**7).hex().encode().hex().encode().hex()", "eval"),
    ("liste = [1]\nwhile True:\n    liste = liste + liste", "exec"),
    ("liste = [1]\nwhile True:\n    liste += liste", "exec"),
    ("liste = [1]\nwhile True:\n    liste.extend(liste)", "exec"),
    ("liste = [1]\nwhile True:\n    liste = [*liste, *liste]", "exec"),
    ("text = 'ab'\nwhile True:\n    text = f'{text}{text}'", "exec"),
    ("text = 'ab'\nwhile True:\n    text = text * 2", "exec"),
    ("zahl = 3\nwhile True:\n    zahl = zahl * zahl", "exec"),
    ("def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(100)", "exec"),
    ("def g():\n    while True:\n        yield 1\nx = sum(g())", "exec"),
    ("x = sorted(range(10), key=lambda n: [m for m in range(10**9)])", "exec"),
    (
        "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass",
        "exec",
    ),
]


@pytest.mark.parametrize(("source", "mode"), MORE_VECTORS)
def test_other_runaways_end_within_the_bound(sandbox: Sandbox, source: str, mode: str) -> None:
    _breach(sandbox, source, mode)


GROWING_WHILE_READ = [
    "any(map(liste.append, liste))",
    "any(filter(liste.append, liste))",
    "dict.fromkeys(map(liste.append, liste))",
    "5 in map(liste.append, liste)",
    "any(map(liste.append, enumerate(liste)))",
    "any(map(liste.extend, zip(liste)))",
    "[a for a, *b in [map(liste.append, liste)]]",
]


@pytest.mark.parametrize("source", GROWING_WHILE_READ)
def test_a_list_that_c_code_makes_longer_while_reading_it_ends(sandbox: Sandbox, source: str) -> None:
    _breach(sandbox, source, "eval", {"liste": [1]})


def test_extending_a_list_by_an_iterator_over_itself_ends(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    sandbox.execute("liste = [1, -2]\nliste.extend(map(abs, liste))\nliste += map(abs, liste)", context)
    assert context["liste"] == [1, -2, 1, 2, 1, 2, 1, 2]


@pytest.mark.parametrize(
    "source",
    ["str.join.args", "'x'.ljust.func", "(1).to_bytes.keywords", "list._real", "range(10**7)._numbers"],
)
def test_the_guards_hand_out_nothing_that_leads_around_them(sandbox: Sandbox, source: str) -> None:
    with pytest.raises((AttributeError, SandboxViolation)):
        sandbox.evaluate(source, {})


def test_stand_ins_for_builtin_types_work_like_the_types(sandbox: Sandbox) -> None:
    checks = "[isinstance(1, int), isinstance('a', (int, str)), isinstance([], list), issubclass(bool, int)]"
    assert sandbox.evaluate(checks, {}) == [True, True, True, True]
    assert sandbox.evaluate("repr(list), str(int), dict.fromkeys('ab'), str.upper('x')", {}) == (
        "<class 'list'>",
        "<class 'int'>",
        {"a": None, "b": None},
        "X",
    )


# --- a breach cannot be caught away ------------------------------------------------------------------


def test_model_code_catching_the_breach_still_ends_with_it(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {}
    _breach(
        sandbox, "try:\n    while True:\n        pass\nexcept Exception:\n    ergebnis = 1", "exec", context
    )
    assert "ergebnis" in context  # the handler ran, the step fails all the same


def test_a_caught_breach_of_a_single_operation_still_ends_the_evaluation(sandbox: Sandbox) -> None:
    with pytest.raises(ModelCodeBreach):
        sandbox.execute("try:\n    x = 'a' * 10**10\nexcept Exception:\n    x = 'gerettet'", {})


def test_raising_something_else_after_a_breach_ends_with_the_breach(sandbox: Sandbox) -> None:
    source = "try:\n    while True:\n        pass\nexcept Exception:\n    raise ValueError('anders')"
    breach = _breach(sandbox, source, "exec")
    assert isinstance(breach.__cause__, ValueError)


# --- the breach ----------------------------------------------------------------------------------------


def test_breach_is_a_sandbox_error_and_survives_pickling() -> None:
    breach = ModelCodeBreach("memory", 0.25, 256 * 2**20, "it built a list", "er eine Liste aufbaute")
    copy = pickle.loads(pickle.dumps(breach))
    assert isinstance(copy, SandboxError) and issubclass(SandboxViolation, SandboxError)
    assert (copy.bound, copy.elapsed, copy.limit) == ("memory", 0.25, 256 * 2**20)
    assert (copy.english, copy.german, str(copy)) == (breach.english, breach.german, str(breach))
    assert (
        copy.message("de")
        == "Speichergrenze überschritten: Der Modellcode wurde abgebrochen, bevor er eine Liste aufbaute."
    )
    assert copy.message("en") == "Memory bound exceeded: the model code was stopped before it built a list."


def test_a_foreseen_breach_names_the_operation_in_both_languages(sandbox: Sandbox) -> None:
    breach = _breach(sandbox, "10 ** 10 ** 8", "eval")
    assert "300,000,001 binary digits" in breach.english and "65,536" in breach.english
    assert "300.000.001 Binärstellen" in breach.german
    assert breach.elapsed < 0.5  # refused before running, not stopped after a while


def test_german_seconds_use_a_decimal_comma() -> None:
    assert "0,3 s" in ModelCodeBreach("time", 0.31, 0.3).german


# --- the budget is per evaluation ----------------------------------------------------------------------


def test_a_long_sequence_of_cheap_evaluations_never_trips_the_bound(sandbox: Sandbox) -> None:
    script = "summe = 0\nfor zahl in zahlen:\n    summe += zahl\nquadrate = [z * z for z in zahlen]"
    started = time.monotonic()
    evaluations = 0
    while time.monotonic() - started < 3 * SECONDS:
        context = {"zahlen": list(range(50))}
        sandbox.execute(script, context)
        assert sandbox.evaluate("summe > 1000 and len(quadrate) == 50", context) is True
        evaluations += 2
    assert evaluations > 100


def test_budgets_of_nested_evaluations_are_separate(sandbox: Sandbox) -> None:
    inner = sandbox.with_helpers({"innen": lambda: sandbox.evaluate("sum(n for n in range(100))", {})})
    assert inner.evaluate("[innen() for _ in range(3)]", {}) == [4950, 4950, 4950]


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Limits(seconds=0)
    with pytest.raises(ValueError):
        Limits(memory=-1)


def test_a_budget_outside_any_evaluation_still_refuses_what_cannot_fit() -> None:
    with pytest.raises(ModelCodeBreach):
        Budget().reserve(2**40, "a test", "ein Test")


# --- inside SpiffWorkflow --------------------------------------------------------------------------------


def test_a_runaway_script_task_fails_its_step_as_a_task_error(sandbox: Sandbox) -> None:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

    from tests.unit.test_sandbox import BPMN

    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.replace("SCRIPT", "n = 0\nwhile n &gt;= 0:\n    pass").encode())
    workflow = BpmnWorkflow(
        parser.get_spec("sandbox_test"), script_engine=PythonScriptEngine(environment=sandbox)
    )
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert time.monotonic() - started < WITHIN
    assert caught.value.error_type == "ModelCodeBreach"
    assert caught.value.task.task_spec.bpmn_id == "bewerten"
    assert isinstance(caught.value.__context__, ModelCodeBreach)


def test_a_runaway_in_one_thread_stops_nothing_in_another() -> None:
    import threading

    # The runaway gets a wide bound so that a slow, shared machine cannot end it before the
    # other thread's work is done; what is proven is that the other thread is not held up.
    sandbox = Sandbox({}, Limits(seconds=5.0, memory=64 * 2**20))
    caught: list[BaseException] = []
    spinning = threading.Event()

    def runaway() -> None:
        spinning.set()
        try:
            sandbox.execute("while True:\n    pass", {})
        except ModelCodeBreach as breach:
            caught.append(breach)

    thread = threading.Thread(target=runaway)
    thread.start()
    assert spinning.wait(5)
    results = [sandbox.evaluate("sum(n * n for n in range(100))", {}) for _ in range(200)]
    assert thread.is_alive()  # done while the other thread still spins
    thread.join(3 * 5.0)
    assert results == [328350] * 200
    assert len(caught) == 1 and caught[0].bound == "time"
