"""Restricted execution of the Python code inside uploaded process models.

Gateway conditions, timer and due-date expressions, DMN cells and script tasks are compiled with
RestrictedPython and run against a small, curated set of builtins plus the helper functions given to
the :class:`Sandbox`. The class is a drop-in ``environment`` for SpiffWorkflow's
``PythonScriptEngine`` (duck-typed, so this module does not import SpiffWorkflow) and reproduces the
context semantics of SpiffWorkflow's ``TaskDataEnvironment``.

Every evaluation is bounded in time and memory in this process, without a fork: the compile step
(``engine.sandbox.bounding``) puts a budget tick into every loop, comprehension, function and lambda,
and a guard (``engine.sandbox.guards``, ``engine.sandbox.bounded_builtins``) in front of every single
operation that could compute or allocate far more than its operands (``10**10**8``, ``'a' * 10**10``,
``f'{1!r:>{10**10}}'``, ``max(range(10**11))``). Code that uses no guard (most conditions and DMN
cells) runs as it did, with no budget at all. A breach raises
:class:`~engine.sandbox.errors.ModelCodeBreach`. The default bounds
(:class:`~engine.sandbox.budget.Limits`) are 1 s on the monotonic clock and 256 MiB growth of the
process's resident memory, per evaluation; a ``Sandbox`` takes others.

What the bounds do not cover:

* the helper functions given to the sandbox: trusted code, bounded by their own argument checks;
* a single built-in operation over data that is already within the bounds (sorting a list of a
  million items, ``repr`` of a big list) runs to its end before the next check, so time and memory
  can overshoot by that one operation;
* resident memory is the process's: other threads' allocations during an evaluation count against it;
* the bound is per evaluation: a step that evaluates many DMN cells may take that many times the bound.
"""

import ast
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from keyword import iskeyword
from types import CodeType, ModuleType
from typing import Any, Literal

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

from engine.sandbox.bounded_builtins import BOUNDED_BUILTINS, MODEL_BUILTINS, guarded_getattr
from engine.sandbox.bounding import Bounding
from engine.sandbox.budget import DEFAULT_LIMITS, LIMITS, TICK, Budget, Limits, running
from engine.sandbox.errors import SandboxError
from engine.sandbox.guards import (
    guarded_add,
    guarded_format,
    guarded_fstring,
    guarded_inplace,
    guarded_iter_unpack_sequence,
    guarded_lshift,
    guarded_mod,
    guarded_mul,
    guarded_pow,
    guarded_unpack,
    guarded_unpack_sequence,
)

__all__ = ["Limits", "Mode", "Sandbox", "SandboxViolation", "compile_code"]

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


class SandboxViolation(SandboxError):
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

    def visit_Module(self, node: ast.Module) -> Any:
        return self._bounded(super().visit_Module(node))

    def visit_Expression(self, node: ast.Expression) -> Any:
        return self._bounded(super().visit_Expression(node))

    def _bounded(self, tree: ast.AST) -> ast.AST:
        """The restricted tree with its budget ticks and guards (engine.sandbox.bounding)."""
        if self.errors:
            return tree
        return ast.fix_missing_locations(Bounding().visit(tree))


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


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; RestrictedPython routes calls using ``*args``/``**kwargs`` through here."""
    return function(*args, **kwargs)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


_GUARDS: dict[str, Any] = {
    "_getattr_": guarded_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _guarded_write,
    "_inplacevar_": guarded_inplace,
    "_apply_": _apply,
    "_mul_": guarded_mul,
    "_pow_": guarded_pow,
    "_lshift_": guarded_lshift,
    "_mod_": guarded_mod,
    "_add_": guarded_add,
    "_fmt_": guarded_format,
    "_fstr_": guarded_fstring,
    "_unpack_": guarded_unpack,
}


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


@dataclass(frozen=True)
class Compiled:
    """Compiled model code and what running it needs."""

    code: CodeType
    guards: Mapping[str, Any]  # the guards it calls, set over task data of the same name
    loops: bool  # it ticks: a budget from the start
    guarded: bool  # a guard may give it a budget as it runs; if not, it runs as it is


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compiled(source: str, mode: Mode) -> Compiled:
    code = compile_code(source, mode)
    names = names_used(code)
    guards = {name: guard for name, guard in _GUARDS.items() if name in names}
    loops = TICK in names
    return Compiled(code, guards, loops, loops or bool(guards) or not names.isdisjoint(BOUNDED_BUILTINS))


def names_used(code: CodeType) -> set[str]:
    """Global and attribute names a code object and the functions inside it use."""
    found = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            found |= names_used(constant)
    return found


def _run(compiled: Compiled, namespace: dict[str, Any], limits: Limits) -> Any:
    """Evaluate the code: if it loops, under a budget from the start, otherwise with the one a guard
    may start. A breach wins over whatever else the code did, even if model code caught it."""
    if not compiled.guarded:
        return eval(compiled.code, namespace)
    budget = Budget(limits, namespace) if compiled.loops else None
    try:
        result = eval(compiled.code, namespace)
    except Exception as error:
        budget = budget or running(namespace)
        if budget is not None and budget.breach is not None and error is not budget.breach:
            raise budget.breach from error
        raise
    finally:
        budget = budget or running(namespace)  # a guard may have started one
        if budget is not None:
            budget.close()
    if budget is not None:
        budget.settle()
    return result


class Sandbox:
    """RestrictedPython environment for SpiffWorkflow's ``PythonScriptEngine(environment=...)``."""

    def __init__(
        self, helpers: Mapping[str, Callable[..., Any]] | None = None, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self._helpers = _validate_helpers(helpers or {})
        self._reserved = frozenset(self._helpers) | frozenset(_GUARDS) | {TICK}
        self.limits = limits
        self._builtins = {**MODEL_BUILTINS, LIMITS: limits}

    # How source is compiled; the benchmark's unbounded baseline replaces it.
    _code = staticmethod(_compiled)

    def _protected(self, compiled: Compiled) -> dict[str, Any]:
        """Builtins and guards, set over task data of the same name."""
        return {"__builtins__": self._builtins, **compiled.guards}

    @property
    def helpers(self) -> Mapping[str, Callable[..., Any]]:
        """The helper functions visible to model code (a copy)."""
        return dict(self._helpers)

    def with_helpers(self, helpers: Mapping[str, Callable[..., Any]]) -> "Sandbox":
        """A new Sandbox with these helpers added to this one's (new ones win on a name clash)."""
        return Sandbox({**self._helpers, **helpers}, self.limits)

    def check(self, source: str, mode: Mode) -> None:
        """Compile ``source`` under the sandbox rules; raise SandboxViolation if it is refused."""
        compile_code(_prepare_source(source, mode), mode)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Value of ``expression``; task data wins over external context, which wins over helpers."""
        compiled = self._code(_prepare_source(expression, "eval"), "eval")
        namespace = {**self._helpers, **(external_context or {}), **context, **self._protected(compiled)}
        return _run(compiled, namespace, self.limits)

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Run ``script`` with ``context`` as its namespace, so assignments land in the task data."""
        compiled = self._code(script, "exec")
        external = external_context or {}
        self._check_for_overwrite(context, external)
        context.update(self._helpers)
        context.update(external)
        context.update(self._protected(compiled))
        try:
            _run(compiled, context, self.limits)
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
