"""Ordinary model code evaluates exactly as before the bounds: same values, same errors.

"Before" is the unbounded baseline of ``lotse bench sandbox`` (``benchmarks.sandbox.PlainSandbox``):
the same sandbox compiled by RestrictedPython's own policy, with its plain guards and builtins.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from benchmarks.sandbox import PlainSandbox
from engine.bpmn.analysis import model_code
from engine.bpmn.parsing import parse_process
from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.deadline_functions import expression_helpers
from engine.sandbox.restricted import Sandbox
from tests.unit.test_sandbox import ALLOWED, SCRIPT

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
MODELS = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"

CASE_DATA: dict[str, Any] = {
    "risikostufe": "HOCH",
    "risikostufe_vorschlag": "MITTEL",
    "vorfallarten": ["beleidigung", "drohung"],
    "vorfall": {"risikostufe_bisher": "MITTEL"},
    "akute_gefahr": False,
    "koerperlicher_angriff_30_tage": False,
    "pathway_oder_last_resort": False,
    "warnverhalten_anzahl": 2,
    "drohung_leib_leben": True,
    "privatsphaere_exponiert": False,
    "nachstellung": False,
    "kein_vorfall": False,
    "betroffen": "selbst",
    "anliegen": "beratung",
    "angst_selbsteinschaetzung": 6,
    "vermittlung_menge": 3,
    "vermittlung_einheit": "arbeitstage",
    "eskalation_menge": 2,
    "eskalation_einheit": "arbeitstage",
    "nachfassen_menge": 10,
    "nachfassen_einheit": "arbeitstage",
    "frist_vermittlung": "2026-03-13T16:00:00+01:00",
    "frist_nachfassen": "2026-03-24T16:00:00+01:00",
    "frist_nachfassen_bearbeitung": "2026-03-25T16:00:00+01:00",
    "eskalation_vermittlung_ab": "2026-03-17T16:00:00+01:00",
    "eskalation_nachfassen_ab": "2026-03-27T16:00:00+01:00",
    "hilfe_angekommen": "ja",
    "strafantrag": {
        "erinnerung_42": "2026-04-21T09:00:00+02:00",
        "erinnerung_70": "2026-05-19T09:00:00+02:00",
    },
    "strafantrag_stand": "noch_nicht",
    "stufe_erhoeht": True,
    "herabstufung_beantragt": True,
    "risikostufe_beantragt": "NIEDRIG",
    "herabstufung_entscheidung": "bestaetigt",
    "herabstufung_bestaetigt": True,
}


@pytest.fixture(scope="module")
def pair() -> tuple[Sandbox, PlainSandbox]:
    helpers = expression_helpers(BusinessCalendar(), lambda: NOW)
    return Sandbox(helpers), PlainSandbox(helpers)


def _outcome(sandbox: Sandbox, source: str, mode: str, context: dict[str, Any]) -> tuple[str, Any]:
    """The value (or the assignments of a script), or the kind of error."""
    data = dict(context)
    try:
        if mode == "eval":
            return "value", repr(sandbox.evaluate(source, data))
        sandbox.execute(source, data)
        return "context", repr(sorted(data.items()))
    except Exception as error:  # the same errors must come out of both
        return "error", type(error).__name__


def _shipped_code() -> list[tuple[str, str, str, str]]:
    """(element, kind, source, mode) of every piece of code in the shipped models."""
    dmn = {path.name: path.read_bytes() for path in MODELS.glob("*.dmn")}
    found = []
    for path in sorted(MODELS.glob("*.bpmn")):
        for code in model_code(parse_process(path.read_bytes(), dmn)):
            found.append((f"{path.name}:{code.element_id}", code.kind, code.source, code.mode))
    return found


SHIPPED = _shipped_code()
OTHER_CASE = {**CASE_DATA, "risikostufe": "AKUT", "vorfall": None, "vorfallarten": None}


def test_the_shipped_models_have_code_of_every_kind_and_the_case_data_gives_it_values(
    pair: tuple[Sandbox, PlainSandbox],
) -> None:
    assert {"condition", "timer", "script", "dmn", "due_date", "priority"} <= {
        kind for _, kind, _, _ in SHIPPED
    }
    outcomes = [_outcome(pair[0], source, mode, CASE_DATA)[0] for _, _, source, mode in SHIPPED]
    assert outcomes.count("error") == 0, "the comparison below is about values, not only errors"


@pytest.mark.parametrize(("where", "kind", "source", "mode"), SHIPPED, ids=[where for where, *_ in SHIPPED])
def test_shipped_model_code_evaluates_as_before(
    pair: tuple[Sandbox, PlainSandbox], where: str, kind: str, source: str, mode: str
) -> None:
    bounded, plain = pair
    for context in (CASE_DATA, OTHER_CASE):
        assert _outcome(bounded, source, mode, context) == _outcome(plain, source, mode, context)


@pytest.mark.parametrize(("expression", "context", "expected"), ALLOWED)
def test_allowed_expressions_evaluate_as_before(
    pair: tuple[Sandbox, PlainSandbox], expression: str, context: dict[str, Any], expected: Any
) -> None:
    bounded, plain = pair
    assert _outcome(bounded, expression, "eval", context) == _outcome(plain, expression, "eval", context)


ORDINARY: list[tuple[str, str]] = [
    (SCRIPT, "exec"),
    (
        "gesamt = 0\nfor n in range(10):\n    if n % 3 == 0:\n        continue\n    gesamt += n * 2\nelse:\n    fertig = True",
        "exec",
    ),
    ("i = 0\nwhile i < 20:\n    i += 3\n    if i > 10:\n        break", "exec"),
    ("def fak(n):\n    return 1 if n < 2 else n * fak(n - 1)\nwert = fak(20)", "exec"),
    ("paare = [(a, b) for a in range(4) for b in 'xy' if a != 1]", "exec"),
    (
        "gruppen = {}\nfor wort in ['a', 'bb', 'cc', 'd']:\n    gruppen.setdefault(len(wort), []).append(wort)",
        "exec",
    ),
    ("text = 'Frist: %s (%d Tage, %.1f%%)' % ('morgen', 3, 12.5)", "exec"),
    ("liste = [1]\nliste += [2, 3]\nliste += (4,)\nliste += 'ab'\nliste *= 2", "exec"),
    ("a, *rest = [1, 2, 3]\nb = [*rest, *'xy', *range(3)]\nc = {*rest}\nd = (*rest,)", "exec"),
    ("f'{3.14159:.2f}|{42:>6}|{\"x\":*^7}|{1234567:,}|{0.25:.0%}|{7:08b}'", "eval"),
    ('f\'{Decimal("12.5"):.3f} {Decimal("1e5"):f}\'', "eval"),
    ("2 ** 100 + 3 ** 50 * 7 - (1 << 70) + 10 ** -2", "eval"),
    ("pow(3, 200, 1000) + pow(2, 10) + round(2.5) + round(1234, -2) + int('777') + int('ff', 16)", "eval"),
    ("['ab'] * 3 + [0] * 5 + list('xy' * 2) + list((1, 2) * 2)", "eval"),
    ("'a'.ljust(5, '.') + 'b'.rjust(3) + 'c'.center(5, '-') + '7'.zfill(3) + 'x\\ty'.expandtabs(4)", "eval"),
    ("', '.join(sorted({'b', 'a'})) + str.join('-', ['x', 'y']) + 'abcabc'.replace('b', 'BB', 1)", "eval"),
    ("'a,b,,c'.split(',') + 'x y'.rsplit() + 'l1\\nl2'.splitlines() + [str.upper('q')]", "eval"),
    ("'abc'.translate({97: 'AA', 98: None}) + 'xyz'.translate(str.maketrans('x', 'X'))", "eval"),
    ("(1025).to_bytes(2, 'big') + int.from_bytes(b'\\x01\\x00', 'big').to_bytes(2, 'little')", "eval"),
    ("Decimal('2.5').as_integer_ratio() + (0.5).as_integer_ratio()", "eval"),
    ("dict.fromkeys('ab', 0) | dict(a=1) | dict([('c', 2)]) | dict({'d': 3}, e=4)", "eval"),
    ("sorted(['b', 'A', 'c'], key=str.lower, reverse=True) + sorted((3, 1, 2))", "eval"),
    ("sum([[1], [2, 3]], []) + list(sum(((1,), (2,)), ())) + [sum(range(101)), sum([0.5, 1.5], 1)]", "eval"),
    (
        "[isinstance(1, int), isinstance('a', (int, str)), isinstance([], list), issubclass(bool, int), isinstance({}, dict)]",
        "eval",
    ),
    (
        "[isinstance(range(3), range), isinstance((1,), tuple), isinstance({1}, set), isinstance(True, int)]",
        "eval",
    ),
    (
        "list(range(10, 0, -3)) + list(reversed(range(4))) + [range(100)[5], len(range(0, 100, 7)), 7 in range(10)]",
        "eval",
    ),
    ("[range(5), range(5) == range(0, 5), repr(range(2, 9)), str([1, 'a']), repr('x')]", "eval"),
    (
        "max(range(10**6)) + min(range(5, 10)) + len(range(10**12)) + range(10**12)[-1] + (10**11 in range(10**12))",
        "eval",
    ),
    ("list(map(lambda n: n * n, [1, 2, 3])) + list(filter(lambda n: n % 2, range(7)))", "eval"),
    ("{k: v for k, v in zip('abc', range(3)) if v} | {n: n ** 2 for n in range(3)}", "eval"),
    ("(lambda *a, **k: (a, sorted(k)))(*[1, 2], **{'x': 1})", "eval"),
    ("'%(name)s hat %(n)03d Fälle' % {'name': 'Team', 'n': 7}", "eval"),
    ("b'%s-%d' % (b'x', 5)", "eval"),
    ("tuple(enumerate(set([3, 3, 1]))) + tuple(x for x in (1, 2))", "eval"),
    ("[str(12), str(b'ab', 'ascii'), int(3.9), int(Decimal('12.7')), int(' 42 '), int(True)]", "eval"),
    ("'x' * 0 + 'y' * -1 + 'z' * True", "eval"),
    (
        "[i * x for i, x in enumerate([3, 4], 1)] + list(zip('ab', [1, 2])) + list(filter(None, [0, 1]))",
        "eval",
    ),
    (
        "[max([1, 3], key=lambda v: -v), min('ba'), max(1, 2), min([4, 2], default=0), max([], default=7)]",
        "eval",
    ),
    ("paare = {}\nfor i, (a, b) in enumerate(zip('xy', map(str, [1, 2]))):\n    paare[a] = (i, b)", "exec"),
    # errors come out the same
    ("1 / 0", "eval"),
    ("'a' + 1", "eval"),
    ("[1] * 'a'", "eval"),
    ("int('zz')", "eval"),
    ("sorted(5)", "eval"),
    ("list(5)", "eval"),
    ("dict(5)", "eval"),
    ("range('a')", "eval"),
    ("'%d' % 'x'", "eval"),
    ("f'{\"a\":d}'", "eval"),
    ("'a'.ljust('x')", "eval"),
    ("{}['fehlt']", "eval"),
    ("round('x')", "eval"),
    ("pow(2, -1, 0)", "eval"),
    ("1 << -1", "eval"),
]


@pytest.mark.parametrize(("source", "mode"), ORDINARY)
def test_ordinary_model_code_evaluates_as_before(
    pair: tuple[Sandbox, PlainSandbox], source: str, mode: str
) -> None:
    bounded, plain = pair
    assert _outcome(bounded, source, mode, {"betraege": [1, 2, 3], "veraltet": 1}) == _outcome(
        plain, source, mode, {"betraege": [1, 2, 3], "veraltet": 1}
    )


# --- random expressions ------------------------------------------------------------------------------

_ATOMS = [
    "0",
    "1",
    "-3",
    "7",
    "2.5",
    "-0.5",
    "True",
    "'ab'",
    "''",
    "'x%sy'",
    "[1, 2]",
    "()",
    "(3,)",
    "Decimal('1.5')",
    "n",
    "s",
    "l",
]
_OPERATORS = ["+", "-", "*", "%", "**", "<<", "//", "==", "<", "in", "and", "or"]
_UNQUOTED = ["0", "7", "-3", "2.5", "True", "n", "s", "l", "(n * 2)", "[n, s]"]
_SPECS = ["", ">5", "<3", "^9", "08", ".2", ",", "x", ".1%", "*>6"]
_CALLS = ["str", "repr", "len", "int", "abs", "list", "tuple", "sorted", "sum", "round", "bool", "max", "min"]


def _expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(_ATOMS)
    choice = rng.random()
    if choice < 0.55:
        return f"({_expression(rng, depth - 1)} {rng.choice(_OPERATORS)} {_expression(rng, depth - 1)})"
    if choice < 0.8:
        return f"{rng.choice(_CALLS)}({_expression(rng, depth - 1)})"
    if choice < 0.9:
        return f"[x for x in {_expression(rng, depth - 1)}]"
    first, second = rng.choice(_UNQUOTED), rng.choice(_UNQUOTED)  # no quotes inside an f-string (3.11)
    return f"f'{{{first}}}-{{{second}!r:>4}}|{{{first}:{rng.choice(_SPECS)}}}'"


def test_random_expressions_evaluate_as_before(pair: tuple[Sandbox, PlainSandbox]) -> None:
    bounded, plain = pair
    rng = random.Random(16)
    context = {"n": 5, "s": "text", "l": [3, 1, 2]}
    compared = 0
    for _ in range(3000):
        source = _expression(rng, 3)
        expected = _outcome(plain, source, "eval", context)
        assert _outcome(bounded, source, "eval", context) == expected, source
        compared += expected[0] == "value"
    assert compared > 1000  # most of them have a value, not only an error


def test_decimal_and_big_but_allowed_numbers_are_exact(pair: tuple[Sandbox, PlainSandbox]) -> None:
    bounded, _plain = pair
    assert bounded.evaluate("2 ** 60000 % 1000", {}) == 2**60000 % 1000
    assert bounded.evaluate("len(str(10 ** 4000))", {}) == 4001
    assert bounded.evaluate("Decimal(10) ** 30", {}) == Decimal(10) ** 30


def test_a_date_format_spec_in_an_f_string_works(pair: tuple[Sandbox, PlainSandbox]) -> None:
    """The one difference: the format spec is applied outside model code, where ``strftime`` finds
    its import (before, it failed with KeyError '__import__')."""
    bounded, plain = pair
    source = "f'{date(2026, 1, 2):%d.%m.%Y}'"
    assert bounded.evaluate(source, {}) == "02.01.2026"
    assert _outcome(plain, source, "eval", {}) == ("error", "KeyError")
