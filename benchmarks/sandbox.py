"""``lotse bench sandbox``: what the run-time bounds of model code cost per evaluation.

Typical model code — a gateway condition, a DMN input cell, a due-date helper with the real business
calendar, an expression calling a method, the longest script of the shipped model, a 20-line script
with a loop and comprehensions — is evaluated by the bounded ``Sandbox`` and, in the same run, by a plain
RestrictedPython environment without the bounds: the sandbox as it was before the bounds (the same
builtins and guards, compiled by RestrictedPython's own policy, no budget ticks, no size guards).
The two alternate in rounds so that a noisy machine affects both alike; the figure per evaluation is
the thread's CPU time in the best round (other load only ever adds time, so the best round is the
closest to the cost of the code itself, as with ``timeit``); the ratio of the medians is shown too.

For scale, two more figures: ``fork_per_evaluation_ms``, the wall time of evaluating one condition in
a forked, capped child (what bounding each evaluation by a fork would cost; the review's trial does it
once per model), and ``runaway_stopped_after_s``, how long ``while True: pass`` runs under the default
bound.

The bar: bounded costs at most 1.5 times unbounded per evaluation, for each kind of code, but 1.75
times for a script that loops (see LOOP_RATIO_LIMIT).
"""

from __future__ import annotations

import functools
import operator
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr_raise

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.deadline_functions import expression_helpers
from engine.sandbox.errors import ModelCodeBreach
from engine.sandbox.restricted import Compiled, Mode, Sandbox, SandboxViolation, names_used
from engine.sandbox.trial import try_expressions

RATIO_LIMIT = 1.5
# A script that loops pays per iteration: a tick, and a guard call per multiplication, power, shift,
# formatting or concatenation of two computed values. That is about 6 µs more for the 20-line script
# below (a fork per evaluation would cost some 25 ms), so its bar is higher.
LOOP_RATIO_LIMIT = 1.75
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

SCRIPT = """\
rang = ['INFO', 'NIEDRIG', 'MITTEL', 'HOCH', 'AKUT']
bisher = vorfall.get('risikostufe_bisher') if isinstance(vorfall, dict) else None
stufe_erhoeht = bisher not in rang or rang.index(risikostufe) > rang.index(bisher)
punkte = 0
for art in vorfallarten or []:
    if art in ('gewalt', 'drohung'):
        punkte += 3
    elif art == 'nachstellung':
        punkte += 2
    else:
        punkte += 1
gewichtet = [p * 2 for p in range(punkte) if p % 2 == 0]
summe = sum(gewichtet)
dringend = punkte >= 5 or risikostufe in ('AKUT', 'HOCH')
notiz = f'{len(vorfallarten or [])} Vorfälle, {punkte} Punkte'
kategorien = {art: len(art) for art in (vorfallarten or [])}
anzahl = len(kategorien)
zusammenfassung = ', '.join(sorted(kategorien))
faktor = 1.5 if dringend else 1.0
gewicht = round(punkte * faktor, 1)
"""

# The script task "vorfall_vergleichen" of workflows/bpmn/fallbearbeitung.bpmn, the longest one shipped.
SHIPPED_SCRIPT = """\
rang = ['INFO', 'NIEDRIG', 'MITTEL', 'HOCH', 'AKUT']
risikostufe_bisher = vorfall.get('risikostufe_bisher') if isinstance(vorfall, dict) else None
stufe_erhoeht = risikostufe_bisher not in rang or rang.index(risikostufe) > rang.index(risikostufe_bisher)
risiko_ueberschrieben = risikostufe != risikostufe_vorschlag
"""

# name -> (source, mode, evaluations per round, bar)
WORKLOADS: dict[str, tuple[str, str, int, float]] = {
    "gateway_condition": ("risikostufe in ('AKUT', 'HOCH')", "eval", 2000, RATIO_LIMIT),
    "dmn_cell": ("(warnverhalten_anzahl) >= 2", "eval", 2000, RATIO_LIMIT),
    "due_date_helper": ("arbeitstage(3)", "eval", 50, RATIO_LIMIT),
    "expression_with_method": (
        "vorfall.get('risikostufe_bisher', 'INFO') != risikostufe",
        "eval",
        2000,
        RATIO_LIMIT,
    ),
    "shipped_script": (SHIPPED_SCRIPT, "exec", 1000, RATIO_LIMIT),
    "script_20_lines": (SCRIPT, "exec", 300, LOOP_RATIO_LIMIT),
}

TASK_DATA: dict[str, Any] = {
    "risikostufe": "HOCH",
    "risikostufe_vorschlag": "MITTEL",
    "warnverhalten_anzahl": 3,
    "vorfall": {"risikostufe_bisher": "MITTEL"},
    "vorfallarten": ["gewalt", "nachstellung", "beleidigung"],
    **{f"feld_{number}": number for number in range(20)},
}


_PLAIN_EXTRAS = {
    function.__name__: function
    for function in (
        all,
        any,
        dict,
        enumerate,
        filter,
        list,
        map,
        max,
        min,
        reversed,
        set,
        sorted,
        sum,
        tuple,
        zip,
    )
} | {"datetime": datetime, "date": date, "timedelta": timedelta, "Decimal": Decimal}
_PLAIN_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul}
_PLAIN_BUILTINS = {**safe_builtins, **_PLAIN_EXTRAS}
_PLAIN_GUARDS = {
    "_getattr_": safer_getattr_raise,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": lambda obj: obj,
    "_inplacevar_": lambda op, target, value: _PLAIN_INPLACE[op](target, value),
    "_apply_": lambda function, *args, **kwargs: function(*args, **kwargs),
}


class PlainSandbox(Sandbox):
    """The same sandbox without the bounds: RestrictedPython's own policy, its plain guards and builtins."""

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def _code(source: str, mode: Mode) -> Compiled:
        compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compiler(source, "<string>")
        if result.code is None or result.errors:
            raise SandboxViolation(source, mode, result.errors)
        code = result.code
        names = names_used(code)  # as in the bounded sandbox: only the guards the code calls
        return Compiled(
            code, {name: guard for name, guard in _PLAIN_GUARDS.items() if name in names}, False, False
        )

    def _protected(self, compiled: Compiled) -> dict[str, Any]:
        return {"__builtins__": _PLAIN_BUILTINS, **compiled.guards}


def _evaluator(sandbox: Any, source: str, mode: str) -> Callable[[], Any]:
    if mode == "eval":
        return lambda: sandbox.evaluate(source, TASK_DATA)
    return lambda: sandbox.execute(source, dict(TASK_DATA))


def _cpu_per_call(function: Callable[[], Any], count: int) -> float:
    started = time.thread_time()
    for _ in range(count):
        function()
    return (time.thread_time() - started) / count


def _measure(source: str, mode: str, count: int, rounds: int, sandboxes: dict[str, Any]) -> dict[str, float]:
    calls = {name: _evaluator(sandbox, source, mode) for name, sandbox in sandboxes.items()}
    results = {name: call() for name, call in calls.items()}
    if len({repr(value) for value in results.values()}) != 1:
        raise AssertionError(f"the bounded and plain sandboxes disagree on {source!r}: {results}")
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(_cpu_per_call(call, count))
    best = {name: min(values) for name, values in samples.items()}
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "bounded_us": round(best["bounded"] * 1e6, 3),
        "unbounded_us": round(best["unbounded"] * 1e6, 3),
        "ratio": round(best["bounded"] / best["unbounded"], 3),
        "median_ratio": round(medians["bounded"] / medians["unbounded"], 3),
    }


def _fork_per_evaluation_ms(sandbox: Sandbox, repeats: int = 10) -> float:
    """Wall time of the alternative the bounds replace: one forked, capped child per evaluation (as the
    review's trial does once per model)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        try_expressions(sandbox, NOW, [WORKLOADS["gateway_condition"][0]])
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1e3, 3)


def _runaway_stopped_after_s(sandbox: Sandbox) -> float:
    """Wall time until ``while True: pass`` ends with its breach, under the default bound."""
    started = time.perf_counter()
    try:
        sandbox.execute("while True:\n    pass", {})
    except ModelCodeBreach:
        return round(time.perf_counter() - started, 3)
    raise AssertionError("the runaway was not stopped")


def run(rounds: int = 30) -> dict[str, Any]:
    helpers = expression_helpers(BusinessCalendar(), lambda: NOW)
    sandboxes = {"bounded": Sandbox(helpers), "unbounded": PlainSandbox(helpers)}
    workloads = {
        name: _measure(source, mode, count, rounds, sandboxes)
        for name, (source, mode, count, _bar) in WORKLOADS.items()
    }
    return {
        "benchmark": "sandbox",
        "machine": platform.platform(),
        "python": platform.python_version(),
        "clock": "time.thread_time, best of the alternating rounds",
        "rounds": rounds,
        "limits": {
            "seconds": sandboxes["bounded"].limits.seconds,
            "memory_bytes": sandboxes["bounded"].limits.memory,
        },
        "workloads": workloads,
        "fork_per_evaluation_ms": _fork_per_evaluation_ms(sandboxes["bounded"]),
        "runaway_stopped_after_s": _runaway_stopped_after_s(sandboxes["bounded"]),
        "bars": {
            f"{name}_ratio": {
                "value": figures["ratio"],
                "limit": WORKLOADS[name][3],
                "ok": figures["ratio"] <= WORKLOADS[name][3],
            }
            for name, figures in workloads.items()
        },
    }
