"""Restricted execution of the Python code inside uploaded process models.

Gateway conditions, timer and due-date expressions, DMN cells and script tasks are compiled with
RestrictedPython and run against a small, curated set of builtins plus the helper functions given to
the :class:`Sandbox`. The class is a drop-in ``environment`` for SpiffWorkflow's
``PythonScriptEngine`` (duck-typed, so this module does not import SpiffWorkflow) and reproduces the
context semantics of SpiffWorkflow's ``TaskDataEnvironment``.

Known limitation: RestrictedPython does not bound run time or memory, so an infinite loop or a huge
allocation (``list(range(10**10))``) in a process model is not prevented here. The review before a
deployment tries the expressions that need no case data in a child process with a time and memory limit
(``engine.sandbox.trial``); code that depends on case data runs unbounded in the case.
"""

import ast
import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from keyword import iskeyword
from types import CodeType, ModuleType
from typing import Any, Literal

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

__all__ = ["Mode", "Sandbox", "SandboxViolation", "compile_code"]

Mode = Literal["eval", "exec"]

# Spiff's error reporting looks for frames whose file name is "<string>" to find the failing line.
_FILENAME = "<string>"
_CACHE_SIZE = 4096

# Builtins that are never provided; calling one of them is refused at compile time so that a model
# is rejected on upload rather than failing later with a NameError. RestrictedPython itself already
# refuses eval, exec and breakpoint.
_DENIED_CALLS = frozenset(
    {
        "compile",
        "delattr",
        "dir",
        "exit",
        "getattr",
        "globals",
        "hasattr",
        "help",
        "input",
        "locals",
        "memoryview",
        "object",
        "open",
        "quit",
        "setattr",
        "super",
        "type",
        "vars",
    }
)
_DENIED_NAMES = frozenset({"print", "printed"})
# str.format can walk attributes from inside the format string ("{0.__class__}"); f-strings cannot.
# type.mro() hands out ``object`` and other classes, which models never need.
_DENIED_ATTRIBUTES: dict[str, str] = {
    "format": "use an f-string instead",
    "format_map": "use an f-string instead",
    "mro": "class internals are not accessible",
}
_RESERVED_HELPER_NAMES = _DENIED_CALLS | _DENIED_NAMES | {"eval", "exec", "breakpoint", "builtins"}


class SandboxViolation(Exception):
    """An expression or script that the sandbox refuses to compile."""

    def __init__(self, source: str, mode: str, reasons: Iterable[str]) -> None:
        self.source = source
        self.mode = mode
        self.reasons = list(reasons)
        kind = "expression" if mode == "eval" else "script"
        listed = "; ".join(reason.rstrip(".") for reason in self.reasons)
        super().__init__(f"The sandbox refused this {kind}: {listed}.")

    def __reduce__(self) -> tuple[type["SandboxViolation"], tuple[str, str, list[str]]]:
        return (type(self), (self.source, self.mode, self.reasons))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus refusals that catch hostile models at upload time."""

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        self.error(node, "import statements are not allowed.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        self.error(node, "import statements are not allowed.")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST | None:
        self.error(node, "class definitions are not allowed.")
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _DENIED_CALLS:
            self.error(node, f'calling "{node.func.id}" is not allowed.')
        return super().visit_Call(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr in _DENIED_ATTRIBUTES:
            self.error(node, f'"{node.attr}" is not allowed, {_DENIED_ATTRIBUTES[node.attr]}.')
        return super().visit_Attribute(node)

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in _DENIED_NAMES:
            self.error(node, f'"{node.id}" is not available.')
        return super().visit_Name(node)


def _restricted_compile(source: str, mode: Mode) -> tuple[CodeType | None, list[str]]:
    """Run RestrictedPython and return the code object (or None) and its error messages."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, _FILENAME, policy=_Policy)
    except SyntaxError as error:  # raised by compile() after the AST passed, e.g. "return" at top
        return None, [f"Line {error.lineno}: SyntaxError: {error.msg}"]
    except (ValueError, RecursionError, MemoryError) as error:
        return None, [f"{type(error).__name__}: {error}"]
    return result.code, list(result.errors)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compile_code(source: str, mode: Mode) -> CodeType:
    """Compiled restricted code for ``source``, cached per process; raises SandboxViolation."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    code, errors = _restricted_compile(source, mode)
    if code is None or errors:
        raise SandboxViolation(source, mode, errors or ["the code could not be compiled."])
    return code


def _prepare_source(source: str, mode: Mode) -> str:
    """Strip surrounding whitespace of expressions, as ``eval`` would for leading blanks."""
    return source.strip() if mode == "eval" else source


def _guarded_write(obj: Any) -> Any:
    """Allow item and attribute writes only on plain dicts, lists and sets."""
    if type(obj) in (dict, list, set):
        return obj
    raise TypeError(f"objects of type {type(obj).__name__!r} cannot be modified")


_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "@=": operator.imatmul,
}


def _inplace_var(op: str, target: Any, value: Any) -> Any:
    """Carry out ``target op value`` for augmented assignment of a plain name."""
    try:
        function = _INPLACE_OPERATORS[op]
    except KeyError:
        raise TypeError(f"unsupported augmented assignment {op!r}") from None
    return function(target, value)


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; RestrictedPython routes calls using ``*args``/``**kwargs`` through here."""
    return function(*args, **kwargs)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


_GUARDS: dict[str, Any] = {
    "_getattr_": safer_getattr_raise,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _guarded_write,
    "_inplacevar_": _inplace_var,
    "_apply_": _apply,
}

# Entries of RestrictedPython's safe_builtins that process models do not get: class creation,
# guarded attribute writes that would fail on every allowed type anyway, a guard stored there, and
# exceptions outside the Exception hierarchy (raising SystemExit could stop a worker process).
_DROPPED_BUILTINS = frozenset(
    {
        "__build_class__",
        "_getattr_",
        "setattr",
        "delattr",
        "BaseException",
        "GeneratorExit",
        "KeyboardInterrupt",
        "SystemExit",
    }
)

_EXTRA_BUILTINS: dict[str, Any] = {
    "all": all,
    "any": any,
    "dict": dict,
    "enumerate": enumerate,
    "filter": filter,
    "list": list,
    "map": map,
    "max": max,
    "min": min,
    "reversed": reversed,
    "set": set,
    "sorted": sorted,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "Decimal": Decimal,
}


def _build_builtins() -> dict[str, Any]:
    """The builtins visible to model code."""
    allowed = {name: value for name, value in safe_builtins.items() if name not in _DROPPED_BUILTINS}
    allowed.update(_EXTRA_BUILTINS)
    return allowed


_BUILTINS = _build_builtins()
_PROTECTED: dict[str, Any] = {"__builtins__": _BUILTINS, **_GUARDS}


def _validate_helpers(helpers: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Copy ``helpers`` after checking that model code can call each of them by its name."""
    checked: dict[str, Callable[..., Any]] = {}
    for name, function in helpers.items():
        usable = name.isidentifier() and not iskeyword(name) and not name.startswith("_")
        if not usable or name in _RESERVED_HELPER_NAMES:
            raise ValueError(f"{name!r} cannot be used as a helper name")
        if not callable(function):
            raise TypeError(f"helper {name!r} is not callable")
        checked[name] = function
    return checked


class Sandbox:
    """RestrictedPython environment for SpiffWorkflow's ``PythonScriptEngine(environment=...)``."""

    def __init__(self, helpers: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._helpers = _validate_helpers(helpers or {})
        self._reserved = frozenset(self._helpers) | frozenset(_GUARDS)

    @property
    def helpers(self) -> Mapping[str, Callable[..., Any]]:
        """The helper functions visible to model code (a copy)."""
        return dict(self._helpers)

    def with_helpers(self, helpers: Mapping[str, Callable[..., Any]]) -> "Sandbox":
        """A new Sandbox with these helpers added to this one's (new ones win on a name clash)."""
        return Sandbox({**self._helpers, **helpers})

    def check(self, source: str, mode: Mode) -> None:
        """Compile ``source`` under the sandbox rules; raise SandboxViolation if it is refused."""
        compile_code(_prepare_source(source, mode), mode)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Value of ``expression``; task data wins over external context, which wins over helpers."""
        code = compile_code(_prepare_source(expression, "eval"), "eval")
        namespace = {**self._helpers, **(external_context or {}), **context, **_PROTECTED}
        return eval(code, namespace)

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Run ``script`` with ``context`` as its namespace, so assignments land in the task data."""
        code = compile_code(script, "exec")
        external = external_context or {}
        self._check_for_overwrite(context, external)
        context.update(self._helpers)
        context.update(external)
        context.update(_PROTECTED)
        try:
            exec(code, context)
        finally:
            self._clean_context(context, external)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        """Service tasks are not part of Lotse's process models."""
        raise NotImplementedError("service tasks are not supported")

    def _check_for_overwrite(self, context: Mapping[str, Any], external: Mapping[str, Any]) -> None:
        """Fail early if task data would shadow a helper, a guard or an external-context name."""
        clashes = (self._reserved | frozenset(external)).intersection(context)
        if clashes:
            names = ", ".join(sorted(clashes))
            raise ValueError(
                "Task data overwrites predefined function(s). Please rename the following "
                f"variable or field name(s): {names}"
            )

    def _clean_context(self, context: dict[str, Any], external: Mapping[str, Any]) -> None:
        """Remove builtins, guards, helpers, external names, callables and modules from ``context``."""
        for name in list(context):
            value = context[name]
            if (
                name == "__builtins__"
                or name in self._reserved
                or name in external
                or callable(value)
                or isinstance(value, ModuleType)
            ):
                del context[name]
