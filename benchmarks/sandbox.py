"""``lotse bench sandbox``: what the run-time bounds of model code cost per evaluation.

Typical model code — a gateway condition, a DMN input cell, a due-date helper with the real business
calendar, a 20-line script — is evaluated by the bounded ``Sandbox`` and, in the same run, by a plain
RestrictedPython environment without the bounds: the sandbox as it was before the bounds (the same
builtins and guards, compiled by RestrictedPython's own policy, no budget ticks, no size guards).
The two alternate in rounds so that a noisy machine affects both alike; the figure per evaluation is
the median over the rounds of the thread's CPU time.

The bar: bounded costs at most 1.5 times unbounded per evaluation, for each kind of code.
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

from engine.calendar.business_calendar import BusinessCalendar, expression_helpers
from engine.sandbox.restricted import Compiled, Mode, Sandbox, SandboxViolation, names_used

RATIO_LIMIT = 1.5
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

# name -> (source, mode, evaluations per round)
WORKLOADS: dict[str, tuple[str, str, int]] = {
    "gateway_condition": ("risikostufe in ('AKUT', 'HOCH')", "eval", 2000),
    "dmn_cell": ("(warnverhalten_anzahl) >= 2", "eval", 2000),
    "due_date_helper": ("arbeitstage(3)", "eval", 50),
    "expression_with_method": ("vorfall.get('risikostufe_bisher', 'INFO') != risikostufe", "eval", 2000),
    "script_20_lines": (SCRIPT, "exec", 300),
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
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "bounded_us": round(medians["bounded"] * 1e6, 3),
        "unbounded_us": round(medians["unbounded"] * 1e6, 3),
        "ratio": round(medians["bounded"] / medians["unbounded"], 3),
    }


def run(rounds: int = 15) -> dict[str, Any]:
    helpers = expression_helpers(BusinessCalendar(), lambda: NOW)
    sandboxes = {"bounded": Sandbox(helpers), "unbounded": PlainSandbox(helpers)}
    workloads = {
        name: _measure(source, mode, count, rounds, sandboxes)
        for name, (source, mode, count) in WORKLOADS.items()
    }
    return {
        "benchmark": "sandbox",
        "machine": platform.platform(),
        "python": platform.python_version(),
        "clock": "time.thread_time, median of the rounds",
        "rounds": rounds,
        "limits": {
            "seconds": sandboxes["bounded"].limits.seconds,
            "memory_bytes": sandboxes["bounded"].limits.memory,
        },
        "workloads": workloads,
        "bars": {
            f"{name}_ratio": {
                "value": figures["ratio"],
                "limit": RATIO_LIMIT,
                "ok": figures["ratio"] <= RATIO_LIMIT,
            }
            for name, figures in workloads.items()
        },
    }
