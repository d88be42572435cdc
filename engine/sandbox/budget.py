"""The run-time bounds of one evaluation of model code: a time limit, a memory allowance, a sticky breach.

A :class:`Budget` is made for every evaluation that contains a loop, a function or an operation that
could grow without bound. The code the sandbox compiles calls :meth:`Budget.tick` at the head of every
loop body, comprehension step and function body; a tick reads the monotonic clock, and once per
:data:`CHECK_INTERVAL` it compares the time since the evaluation began and the process's resident
memory with the limits.

The time bound is wall-clock time, not CPU time: it is what a waiting request, a held database lock
and the people at the other end see, and ordinary model code takes microseconds, so even a machine
under heavy load does not bring it near the bound. (Measured on a loaded two-core machine, a
thread-CPU-time bound of 1 s let a spinning loop run 2.5 s.) Guards in front of single C-level operations that could allocate or compute
far more than their inputs (``'a' * 10**10``) call :meth:`Budget.reserve` or :meth:`Budget.refuse`
before they run. A breach is sticky: every later tick raises it again and the evaluation ends with it
even if model code catches it.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from typing import Any

from engine.sandbox import fair_share
from engine.sandbox.errors import Bound, ModelCodeBreach, mebibytes

__all__ = [
    "CHECK_INTERVAL",
    "LIMITS",
    "TICK",
    "Budget",
    "Limits",
    "current",
    "resident_bytes",
    "running",
]

TICK = "_tick_"  # the name under which model code finds its budget's tick
LIMITS = "_limits_"  # the key of the sandbox's Limits in the builtins of model code

CHECK_INTERVAL = 0.001  # seconds of wall time between two full checks of a running evaluation
RESERVE_FLOOR = 2**20  # bytes: smaller allocations are left to the periodic check
DEFAULT_SECONDS = 1.0
DEFAULT_MEMORY = 256 * 2**20

_monotonic = time.monotonic


@dataclass(frozen=True)
class Limits:
    """Bounds of one evaluation: seconds on the monotonic clock, bytes of growth of resident memory."""

    seconds: float = DEFAULT_SECONDS
    memory: int = DEFAULT_MEMORY

    def __post_init__(self) -> None:
        if not self.seconds > 0 or not self.memory > 0:
            raise ValueError("the time and memory bounds must be positive")


DEFAULT_LIMITS = Limits()


class Budget:
    """The bounds of one running evaluation; see the module docstring."""

    __slots__ = ("baseline", "breach", "due", "limits", "sharing", "started", "watched")

    def __init__(self, limits: Limits = DEFAULT_LIMITS, namespace: dict[str, Any] | None = None) -> None:
        """A budget starting now; with a namespace of model code, its ticks there charge this budget."""
        self.limits = limits
        self.started = _monotonic()
        self.baseline: int | None = None  # resident bytes at the first check: too dear per evaluation
        self.breach: ModelCodeBreach | None = None
        self.due = self.started + CHECK_INTERVAL
        self.watched = namespace is not None  # model code, whose evaluation ends with close()
        self.sharing = False  # whether this evaluation holds a claim on a fair share of the processor
        if namespace is not None:
            namespace[TICK] = self.tick

    def tick(self) -> bool:
        """Called by model code at every loop step; cheap unless a check is due. Always true."""
        if _monotonic() >= self.due:
            self.check()
        return True

    def check(self) -> None:
        """Compare time and memory with the limits now; raise the breach if one is exceeded."""
        if self.breach is not None:
            raise self.breach
        now = _monotonic()
        if now - self.started > fair_share.LONG and self.watched and not self.sharing:
            self.sharing = True
            fair_share.claim()
        if now - self.started > self.limits.seconds:
            self.fail("time", self.limits.seconds)
        if self._growth(0) > self.limits.memory:
            self.fail("memory", self.limits.memory)
        self.due = now + CHECK_INTERVAL

    def reserve(self, nbytes: int, operation: str, operation_german: str) -> None:
        """Refuse an operation about to allocate ``nbytes`` if that would exceed the memory allowance."""
        if self.breach is not None:
            raise self.breach
        if nbytes < RESERVE_FLOOR:
            return
        if nbytes > self.limits.memory or self._growth(nbytes) > self.limits.memory:
            need = mebibytes(nbytes)
            self.fail(
                "memory",
                self.limits.memory,
                f"{operation} built a value of about {need}",
                f"{operation_german} einen Wert von etwa {need} aufbaute",
            )
        self.due = 0.0  # the next tick checks again, after the allocation

    def refuse(self, bound: Bound, detail: str, detail_german: str) -> None:
        """Stop before an operation that is foreseen to exceed a bound."""
        self.fail(
            bound, self.limits.seconds if bound == "time" else self.limits.memory, detail, detail_german
        )

    def fail(self, bound: Bound, limit: float, detail: str = "", detail_german: str = "") -> None:
        self.breach = ModelCodeBreach(bound, _monotonic() - self.started, limit, detail, detail_german)
        self.due = float("-inf")  # every later tick raises it again
        raise self.breach

    def settle(self) -> None:
        """At the end of an evaluation: raise the breach even if model code caught it."""
        if self.breach is not None:
            raise self.breach

    def close(self) -> None:
        """The evaluation ended, however it ended: give back the fair share it may have claimed."""
        if self.sharing:
            self.sharing = False
            fair_share.release()

    def _growth(self, extra: int) -> int:
        resident = resident_bytes()
        if self.baseline is None:
            self.baseline = resident
        return resident + extra - self.baseline


def running(namespace: dict[str, Any]) -> Budget | None:
    """The budget whose tick lies in this namespace of model code, if any."""
    owner = getattr(namespace.get(TICK), "__self__", None)
    return owner if type(owner) is Budget else None


def current() -> Budget:
    """The budget of the model code that called the guard asking, found on the call stack.

    The frame of model code is the one whose builtins carry the sandbox's limits. Code without loops
    gets its budget here, the first time a guard asks, and keeps it in its namespace (so no
    evaluation pays for a budget it does not use). Outside model code: a fresh budget.
    """
    frame = sys._getframe(1)
    while frame is not None:
        namespace = frame.f_globals
        builtins = namespace.get("__builtins__")
        if type(builtins) is dict and LIMITS in builtins:
            return running(namespace) or Budget(builtins[LIMITS], namespace)
        frame = frame.f_back
    return Budget()


# -- resident memory -----------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGESIZE") if hasattr(os, "sysconf") else 4096
_statm: tuple[int, int] | None = None  # (pid, file descriptor of /proc/self/statm)


def resident_bytes() -> int:
    """The process's resident set size: /proc/self/statm on Linux, the peak from getrusage elsewhere."""
    global _statm
    try:
        pid = os.getpid()
        if _statm is None or _statm[0] != pid:  # first use, or a forked child
            _statm = (pid, os.open("/proc/self/statm", os.O_RDONLY))
        return int(os.pread(_statm[1], 64, 0).split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
