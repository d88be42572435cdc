"""The compile pass that bounds model code: budget ticks in loops and functions, guards around operations.

It runs on the tree RestrictedPython has already restricted, so the names it adds (``_tick_``,
``_mul_`` …) cannot be written by model code. What it inserts:

* ``_tick_()`` at the head of every ``while``/``for`` body and function body, as the first condition
  of every comprehension, and before the body of every lambda (``_tick_() and body``);
* ``_mul_``, ``_pow_``, ``_lshift_``, ``_mod_`` and ``_add_`` calls in place of ``*``, ``**``, ``<<``,
  ``%`` and ``+`` (``+`` only between two computed operands, ``%`` unless the left one is a number);
  operations on small numeric literals are computed here instead, so ``24 * 60`` costs nothing;
* ``_fmt_(value, conversion, spec)`` for an f-string field with a format spec, ``_fstr_(...)`` around
  an f-string with fields, ``_unpack_(x)`` for ``*x`` in a list, tuple or set display.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from engine.sandbox.budget import TICK

__all__ = ["GUARD_NAMES", "TICK", "Bounding"]

_BINARY_GUARDS: dict[type[ast.operator], str] = {
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
    ast.Add: "_add_",
}
GUARD_NAMES = frozenset({TICK, "_fmt_", "_fstr_", "_unpack_", *_BINARY_GUARDS.values()})
_FOLD_BITS = 128  # numeric literals are combined at compile time up to this size
_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Mult: operator.mul,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.Mod: operator.mod,
    ast.Add: operator.add,
}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _tick() -> ast.expr:
    return _call(TICK)


def _tick_statement(near: ast.AST) -> ast.Expr:
    return ast.copy_location(ast.Expr(value=_tick()), near)


class Bounding(ast.NodeTransformer):
    """Inserts the ticks and guards described in the module docstring."""

    def _ticked_body(self, node: ast.While | ast.For | ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, _tick_statement(node.body[0] if node.body else node))
        return node

    visit_While = _ticked_body
    visit_For = _ticked_body
    visit_FunctionDef = _ticked_body

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.generic_visit(node)
        node.body = ast.copy_location(ast.BoolOp(op=ast.And(), values=[_tick(), node.body]), node.body)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.ifs.insert(0, _tick())
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        operand = node.operand
        if isinstance(node.op, ast.USub | ast.UAdd) and _is_number(operand):
            value = -operand.value if isinstance(node.op, ast.USub) else operand.value  # type: ignore[attr-defined]
            return ast.copy_location(ast.Constant(value=value), node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _BINARY_GUARDS.get(type(node.op))
        if guard is None:
            return node
        folded = _folded(node)
        if folded is not None:
            return ast.copy_location(folded, node)
        if isinstance(node.op, ast.Add) and (_is_constant(node.left) or _is_constant(node.right)):
            return node  # grows by a literal at most: no doubling
        if isinstance(node.op, ast.Mod) and _is_number(node.left):
            return node
        return ast.copy_location(_call(guard, node.left, node.right), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        if node.format_spec is None:
            return node
        value = _call("_fmt_", node.value, ast.Constant(value=node.conversion), node.format_spec)
        return ast.copy_location(
            ast.FormattedValue(value=ast.copy_location(value, node), conversion=-1, format_spec=None), node
        )

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        if any(isinstance(value, ast.FormattedValue) for value in node.values):
            return ast.copy_location(_call("_fstr_", node), node)
        return node

    def _guarded_starred(self, node: ast.List | ast.Tuple | ast.Set) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node, ast.Set) or isinstance(node.ctx, ast.Load):
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    element.value = ast.copy_location(_call("_unpack_", element.value), element.value)
        return node

    visit_List = _guarded_starred
    visit_Tuple = _guarded_starred
    visit_Set = _guarded_starred


def _is_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _folded(node: ast.BinOp) -> ast.Constant | None:
    """The value of an operation on two small numeric literals, computed now; None if it is not one."""
    if not (_is_number(node.left) and _is_number(node.right)):
        return None
    left, right = node.left.value, node.right.value  # type: ignore[attr-defined]
    if type(left) is int and type(right) is int and _int_bits(node.op, left, right) > _FOLD_BITS:
        return None
    try:
        return ast.Constant(value=_OPERATORS[type(node.op)](left, right))
    except (ArithmeticError, ValueError, TypeError):
        return None  # it fails at run time, as it would without the sandbox


def _int_bits(op: ast.operator, left: int, right: int) -> int:
    """An upper bound of the binary digits of ``left op right``."""
    if isinstance(op, ast.Pow):
        return max(left.bit_length(), 1) * right if right > 0 else 1
    if isinstance(op, ast.LShift):
        return left.bit_length() + max(right, 0)
    if isinstance(op, ast.Mult):
        return left.bit_length() + right.bit_length()
    return max(left.bit_length(), right.bit_length()) + 1
