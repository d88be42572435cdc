"""The review's view of runaway model code: what it sees in the source, and what the trial run finds."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from engine.sandbox.budget import Limits
from engine.sandbox.restricted import Sandbox
from engine.sandbox.runaway import runaway_constructs
from engine.sandbox.trial import try_code

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

SEEN: list[tuple[str, str, int, str]] = [
    ("while True:\n    pass", "exec", 1, "always true"),
    ("x = 1\nwhile 1:\n    x = 2", "exec", 2, "always true"),
    ("while True:\n    for y in z:\n        break", "exec", 1, "always true"),
    ("def f():\n    while True:\n        def g():\n            return 1", "exec", 2, "always true"),
    ("n = 0\nwhile n >= 0: pass", "exec", 2, "reads only n"),
    ("while a < b or not c:\n    k += 1\n    d = [k]", "exec", 1, "reads only a, b, c"),
    ("x = 10**10**8", "exec", 1, "300,000,001 binary digits"),
    ("9 ** 9 ** 9", "eval", 1, "binary digits"),
    ("1 << 10**10", "eval", 1, "binary digits"),
    ("x = 'a'*10**10", "exec", 1, "9,537 MiB"),
    ("(1, 2) * 10**10", "eval", 1, "MiB"),
    ("f'{1!r:>{10**10}}'", "eval", 1, "9,537 MiB"),
    ("f'{1.5:.10000000000f}'", "eval", 1, "MiB"),
    ("'%10000000000d' % 1", "eval", 1, "MiB"),
    ("max(range(10**11)) > 0", "eval", 1, "100,000,000,000 numbers"),
    ("sorted(range(-10**9, 10**9))", "eval", 1, "2,000,000,000 numbers"),
    ("x = 1\nfor i in range(10**11):\n    x = i", "exec", 2, "numbers"),
]


@pytest.mark.parametrize(("source", "mode", "line", "words"), SEEN)
def test_the_review_sees_obvious_runaways(source: str, mode: str, line: int, words: str) -> None:
    findings = runaway_constructs(source, mode)
    assert len(findings) == 1, findings
    assert findings[0].line == line
    assert words in findings[0].english
    assert findings[0].english.startswith(f"line {line}: ") and findings[0].german.startswith(
        f"Zeile {line}: "
    )


NOT_SEEN: list[tuple[str, str]] = [
    ("while True:\n    if fertig:\n        break", "exec"),
    ("while True:\n    for y in z:\n        pass\n    else:\n        break", "exec"),
    ("def f():\n    while True:\n        return 1", "exec"),
    ("def g():\n    while True:\n        yield 1", "exec"),
    ("while True:\n    raise ValueError('x')", "exec"),
    ("while n > 0:\n    n -= 1", "exec"),
    ("while offen:\n    offen.pop()", "exec"),
    ("rest = offen\nwhile offen:\n    rest.pop()", "exec"),
    ("while offen:\n    rest[0] = 1", "exec"),
    ("while x:\n    k += y", "exec"),
    ("def weiter():\n    pass\nwhile x:\n    weiter()", "exec"),
    ("global x\nwhile x:\n    pass", "exec"),
    ("while len(liste) < 3:\n    liste.append(1)", "exec"),
    ("while not fertig:\n    fertig = pruefen()", "exec"),
    ("any(range(10**11))", "eval"),
    ("all(x > 5 for x in range(10**11))", "eval"),
    ("for i in range(10**11):\n    if i > 3:\n        break", "exec"),
    ("2 ** 100 * 3 + (1 << 64)", "eval"),
    ("'ab' * 1000 + 'x' * 10**6", "eval"),
    ("24 * 60 * 60 * 1000", "eval"),
    ("f'{betrag:>12.2f}'", "eval"),
    ("'%5.2f %%' % wert", "eval"),
    ("max(range(10**6))", "eval"),
    ("x ==", "eval"),
]


@pytest.mark.parametrize(("source", "mode"), NOT_SEEN)
def test_the_review_does_not_cry_wolf(source: str, mode: str) -> None:
    assert runaway_constructs(source, mode) == []


def test_the_memory_bound_of_the_sandbox_is_the_one_judged() -> None:
    assert runaway_constructs("'a' * 10**8", "eval") == []
    assert runaway_constructs("'a' * 10**8", "eval", Limits(memory=64 * 2**20))


# --- the trial run -----------------------------------------------------------------------------------


def test_the_trial_reports_a_breach_of_code_that_needs_no_case_data() -> None:
    sandbox = Sandbox(limits=Limits(seconds=0.3))
    started = time.monotonic()
    trials = try_code(
        sandbox,
        NOW,
        [
            ("liste = []\nwhile len(liste) >= 0:\n    liste.append(1)", "exec"),
            ("sum(n for n in range(10**11)) > 0", "eval"),
            ("stufe in ('AKUT', 'HOCH')", "eval"),
            ("x = [][0]", "exec"),
            ("gesamt = sum(range(100))", "exec"),
        ],
    )
    assert time.monotonic() - started < 2.0
    breaches = [trial.breach for trial in trials[:2]]
    assert all(breach is not None and breach.bound == "time" for breach in breaches)
    assert breaches[0].german.startswith("Zeitgrenze überschritten")
    assert trials[2].missing == "stufe"
    assert trials[3].failure is not None and trials[3].failure.startswith("IndexError")
    assert trials[4].breach is None and trials[4].failure is None and trials[4].missing is None


def test_nothing_in_the_shipped_models_or_in_ordinary_code_is_seen_as_a_runaway() -> None:
    from tests.unit.test_sandbox import ALLOWED, SCRIPT
    from tests.unit.test_sandbox_equivalence import ORDINARY, SHIPPED

    pieces = [(source, mode) for _, _, source, mode in SHIPPED] + ORDINARY + [(SCRIPT, "exec")]
    pieces += [(expression, "eval") for expression, _, _ in ALLOWED]
    assert [piece for piece in pieces if runaway_constructs(*piece)] == []
