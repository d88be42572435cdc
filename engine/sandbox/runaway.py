"""Model code that cannot end within the bounds, seen in its source, for the review before a deployment.

Only the obvious cases, each without false alarms on code that does end:

* a ``while`` loop whose condition is always true and whose body has no ``break``, ``return``,
  ``raise`` or ``yield``;
* a ``while`` loop whose condition reads only names (and literals) that its body never mentions, in
  code that cannot change them elsewhere (no ``global``, no method calls, no item writes, no calls of
  its own functions in the loop): once the condition holds, it holds for ever;
* arithmetic on literals beyond the bounds: ``10**10**8``, ``1 << 10**10``, ``'a' * 10**10``, printf
  and f-string widths like ``f'{x:>{10**10}}'``;
* a built-in that runs through a ``range`` of literals longer than :data:`HOPELESS_RANGE` at once
  (``max(range(10**11))``), or a ``for`` loop over one without a way out.

Everything else is left to the run-time bounds (``engine.sandbox.budget``).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.sandbox.budget import DEFAULT_LIMITS, Limits
from engine.sandbox.errors import german_number, mebibytes
from engine.sandbox.guards import MAX_INT_BITS, item_bytes

__all__ = ["HOPELESS_RANGE", "Finding", "runaway_constructs"]

HOPELESS_RANGE = 10**8  # numbers: far more than any bound lets model code run through
_FOLD_ITEMS = 4096  # literal strings and numbers are only computed here up to about this size
_CONSUMERS = frozenset({"max", "min", "sum", "sorted", "list", "tuple", "set"})  # (any and all stop early)
_LEAVING = (ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)
_WIDTHS = re.compile(r"\d+")
_SEQUENCES = (str, bytes, tuple, list)
_OPERATIONS: dict[type[ast.operator], Any] = {
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.Mult: operator.mul,
    ast.Mod: operator.mod,
}
_PURE = (ast.Name, ast.Constant, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Load)
_PURE_PARTS = (ast.cmpop, ast.boolop, ast.unaryop, ast.operator)


@dataclass(frozen=True)
class Finding:
    """One construct that cannot end within the bounds, with its line, in English and German."""

    line: int
    english: str
    german: str


def runaway_constructs(source: str, mode: str, limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    """The obvious runaways in ``source`` (which must parse; what does not, the compile check reports)."""
    try:
        tree = ast.parse(
            source.strip() if mode == "eval" else source, mode="eval" if mode == "eval" else "exec"
        )
    except (SyntaxError, ValueError, RecursionError):
        return []
    changes_elsewhere = any(isinstance(node, ast.Global | ast.Nonlocal) for node in ast.walk(tree))
    own_functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    findings = [*_loops(tree, changes_elsewhere, own_functions), *_literals(tree, limits)]
    return sorted(findings, key=lambda finding: finding.line)


# -- loops ---------------------------------------------------------------------------------------------


def _loops(tree: ast.AST, changes_elsewhere: bool, own_functions: set[str]) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and not _leaves(node.body):
            if _always_true(node.test):
                yield Finding(
                    node.lineno,
                    f"line {node.lineno}: the condition of this 'while' loop is always true and the loop has "
                    "no 'break', 'return' or 'raise': it never ends",
                    f"Zeile {node.lineno}: Die Bedingung dieser 'while'-Schleife ist immer wahr, und die Schleife "
                    "hat kein 'break', 'return' oder 'raise': Sie endet nie",
                )
            elif not changes_elsewhere and _stuck(node, own_functions):
                names = ", ".join(sorted(_names(node.test)))
                yield Finding(
                    node.lineno,
                    f"line {node.lineno}: the condition of this 'while' loop reads only {names}, which the loop "
                    "never changes: once it holds, the loop never ends",
                    f"Zeile {node.lineno}: Die Bedingung dieser 'while'-Schleife liest nur {names}, was die "
                    "Schleife nie ändert: Trifft sie einmal zu, endet die Schleife nie",
                )
        elif isinstance(node, ast.For) and not _leaves(node.body):
            length = _range_length(node.iter)
            if length is not None and length > HOPELESS_RANGE:
                english, german = _hopeless_range(length)
                yield Finding(node.lineno, f"line {node.lineno}: {english}", f"Zeile {node.lineno}: {german}")


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether a loop body can leave the loop: a break of its own, a return, a raise, a yield."""
    return any(_can_leave(statement, inner_loop=False) for statement in body)


def _can_leave(node: ast.AST, inner_loop: bool) -> bool:
    if isinstance(node, ast.Break):
        return not inner_loop  # a break in an inner loop's body leaves that loop only
    if isinstance(node, _LEAVING):
        return True
    if isinstance(node, ast.FunctionDef | ast.Lambda):
        return False  # their returns leave them, not the loop
    if isinstance(node, ast.While | ast.For):
        heads = [node.test] if isinstance(node, ast.While) else [node.target, node.iter]
        return any(_can_leave(child, True) for child in node.body) or any(
            _can_leave(child, inner_loop) for child in [*heads, *node.orelse]
        )
    return any(_can_leave(child, inner_loop) for child in ast.iter_child_nodes(node))


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _names(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _stuck(loop: ast.While, own_functions: set[str]) -> bool:
    """A condition of names and literals only, none of which the body mentions or could change."""
    names = _names(loop.test)
    if not names or not all(isinstance(node, _PURE + _PURE_PARTS) for node in ast.walk(loop.test)):
        return False
    for statement in loop.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and node.id in names:
                return False
            if _may_change_something(node, own_functions):
                return False
    return True


def _may_change_something(node: ast.AST, own_functions: set[str]) -> bool:
    """A method call, an item or attribute write, an augmented assignment by more than a number, or a
    call of a function of the code itself: any of these may change what a name refers to."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) or (
            isinstance(node.func, ast.Name) and node.func.id in own_functions
        )
    if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
        return True
    if isinstance(node, ast.AugAssign):
        return not (isinstance(node.value, ast.Constant) and type(node.value.value) in (int, float))
    return False


# -- literals ------------------------------------------------------------------------------------------


class _TooBig(Exception):
    def __init__(self, english: str, german: str) -> None:
        super().__init__(english)
        self.english = english
        self.german = german


def _literals(tree: ast.AST, limits: Limits) -> Iterator[Finding]:
    reported: set[int] = set()
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        try:
            if isinstance(node, ast.BinOp):
                _value(node, limits)
            elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                _check_spec(node.format_spec, limits)
            elif isinstance(node, ast.Call):
                _check_consumer(node)
        except _TooBig as too_big:
            if line not in reported:  # the innermost report of a line is enough
                reported.add(line)
                yield Finding(line, f"line {line}: {too_big.english}", f"Zeile {line}: {too_big.german}")


def _value(node: ast.expr, limits: Limits) -> Any:
    """The value of a literal expression while it stays small; raises _TooBig past a bound; None if
    the expression is not made of literals (or is too big to compute here but within the bounds)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _value(node.operand, limits)
        if type(operand) in (int, float):
            return -operand if isinstance(node.op, ast.USub) else operand
        return None
    if isinstance(node, ast.Tuple | ast.List) and len(node.elts) <= _FOLD_ITEMS:
        items = [_value(element, limits) for element in node.elts]
        if any(item is None for item in items):
            return None
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow | ast.LShift | ast.Mult | ast.Mod):
        left, right = _value(node.left, limits), _value(node.right, limits)
        if left is None or right is None:
            return None
        return _operate(node.op, left, right, limits)
    return None


def _operate(op: ast.operator, left: Any, right: Any, limits: Limits) -> Any:
    if type(left) is int and type(right) is int:
        bits = _int_bits(op, left, right)
        if bits > MAX_INT_BITS:
            raise _TooBig(
                f"this computes a number with about {bits:,} binary digits (at most {MAX_INT_BITS:,}): "
                "it does not finish in time",
                f"Dies berechnet eine Zahl mit etwa {german_number(bits)} Binärstellen (höchstens "
                f"{german_number(MAX_INT_BITS)}): Das wird nicht rechtzeitig fertig",
            )
    elif isinstance(op, ast.Mult):
        sequence, count = (left, right) if type(right) is int else (right, left)
        if type(sequence) in _SEQUENCES and type(count) is int:
            _check_size(len(sequence) * max(count, 0) * item_bytes(sequence), limits)
    elif isinstance(op, ast.Mod) and type(left) is str:
        _check_widths(left, limits)
    return _computed(op, left, right)


def _computed(op: ast.operator, left: Any, right: Any) -> Any:
    """The value if it is small, else None (it fits the bounds, but the review need not build it)."""
    if type(left) is int and type(right) is int and _int_bits(op, left, right) > _FOLD_ITEMS:
        return None
    if isinstance(op, ast.Mult) and {type(left), type(right)} <= {*_SEQUENCES, int}:
        sizes = [len(value) if type(value) in _SEQUENCES else value for value in (left, right)]
        if sizes[0] * sizes[1] > _FOLD_ITEMS:
            return None
    try:
        return _OPERATIONS[type(op)](left, right)
    except Exception:  # it fails at run time, which the trial reports
        return None


def _int_bits(op: ast.operator, left: int, right: int) -> int:
    if isinstance(op, ast.Pow):
        return (left.bit_length() - 1) * right + 1 if right > 0 and left.bit_length() > 1 else 1
    if isinstance(op, ast.LShift):
        return left.bit_length() + right if left and right > 0 else 1
    if isinstance(op, ast.Mult):
        return left.bit_length() + right.bit_length()
    return max(left.bit_length(), right.bit_length())


def _check_size(nbytes: int, limits: Limits) -> None:
    if nbytes > limits.memory:
        raise _TooBig(
            f"this builds a value of about {mebibytes(nbytes)}, more than the {mebibytes(limits.memory)} "
            "model code may use",
            f"Dies baut einen Wert von etwa {mebibytes(nbytes)} auf, mehr als die "
            f"{mebibytes(limits.memory)}, die Modellcode nutzen darf",
        )


def _check_widths(template: str, limits: Limits) -> None:
    """Widths and precisions in a printf template or a format spec, taken together."""
    _check_size(sum(int(number) for number in _WIDTHS.findall(template) if len(number) < 20), limits)


def _check_spec(spec: ast.expr, limits: Limits) -> None:
    """An f-string format spec: its literal parts and the literal expressions inside it."""
    if isinstance(spec, ast.JoinedStr):
        for part in spec.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                _check_widths(part.value, limits)
            elif isinstance(part, ast.FormattedValue):
                width = _value(part.value, limits)
                if type(width) is int:
                    _check_size(width, limits)


def _range_length(node: ast.expr) -> int | None:
    """The length of ``range(<literals>)``, or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"):
        return None
    try:
        bounds = [_value(argument, DEFAULT_LIMITS) for argument in node.args]
    except _TooBig:
        return None  # reported where the number is computed
    if node.keywords or not 1 <= len(bounds) <= 3 or not all(type(bound) is int for bound in bounds):
        return None
    try:
        numbers = range(*bounds)
    except ValueError:
        return None
    return numbers.stop - numbers.start if numbers.step == 1 else None


def _check_consumer(node: ast.Call) -> None:
    if isinstance(node.func, ast.Name) and node.func.id in _CONSUMERS and node.args:
        length = _range_length(node.args[0])
        if length is not None and length > HOPELESS_RANGE:
            raise _TooBig(*_hopeless_range(length))


def _hopeless_range(length: int) -> tuple[str, str]:
    return (
        f"this runs through {length:,} numbers: it does not finish in time",
        f"Dies geht {german_number(length)} Zahlen durch: Das wird nicht rechtzeitig fertig",
    )
