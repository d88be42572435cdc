"""The review's trial run of a model's code: in a child process, bounded in time and memory.

The review runs the expressions and scripts that need no case data in a forked child. Each evaluation
there has the sandbox's own run-time bounds (``engine.sandbox.budget``), so a runaway ends with a
ModelCodeBreach that the trial reports; the child itself is killed when all of them together run out
of time, and its address space is capped, so even a runaway the bounds miss cannot hang the review.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from engine.bpmn.clock import clock_at
from engine.sandbox.errors import ModelCodeBreach
from engine.sandbox.restricted import Mode, Sandbox

TIME_LIMIT_SECONDS = 2.0  # for all expressions of a model together, and again for each on its own
MEMORY_HEADROOM_BYTES = 512 * 2**20  # what the child may allocate beyond what it inherits


@dataclass(frozen=True)
class Trial:
    """How one piece of code fared: its value, the name it lacked, how it failed, the bound it broke,
    or that it never ended."""

    value: Any = None
    missing: str | None = None
    failure: str | None = None
    timed_out: bool = False
    breach: ModelCodeBreach | None = None


Piece = tuple[str, Mode]  # source, and "eval" for an expression or "exec" for a script


def try_expressions(sandbox: Sandbox, now: datetime, sources: Sequence[str]) -> list[Trial]:
    """Evaluate each expression with no case data; the answer has one Trial per source, in order."""
    return try_code(sandbox, now, [(source, "eval") for source in sources])


def try_code(sandbox: Sandbox, now: datetime, pieces: Sequence[Piece]) -> list[Trial]:
    """Run each expression or script with no case data; one Trial per piece, in order."""
    if not pieces:
        return []
    if "fork" not in multiprocessing.get_all_start_methods():  # not on Linux: the run-time bounds only
        return [_trial(sandbox, now, piece) for piece in pieces]
    together = _in_child(sandbox, now, pieces)
    if isinstance(together, list):
        return together
    # Something ran out of time or memory: find what, each piece on its own.
    return [_alone(sandbox, now, piece) for piece in pieces]


def _alone(sandbox: Sandbox, now: datetime, piece: Piece) -> Trial:
    found = _in_child(sandbox, now, [piece])
    return found[0] if isinstance(found, list) else found


def _in_child(sandbox: Sandbox, now: datetime, pieces: Sequence[Piece]) -> list[Trial] | Trial:
    """The trials from a forked child, or one Trial saying why none came (out of time, or the child died)."""
    fork = multiprocessing.get_context("fork")
    receiving, sending = fork.Pipe(duplex=False)
    child = fork.Process(target=_run_in_child, args=(sending, sandbox, now, list(pieces)), daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(TIME_LIMIT_SECONDS):
            return Trial(timed_out=True)
        try:
            return receiving.recv()
        except EOFError:  # killed without answering, e.g. by the system for its memory
            return Trial(failure="MemoryError: the expression needs too much memory")
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join(1.0)


def _run_in_child(sending: Connection, sandbox: Sandbox, now: datetime, pieces: list[Piece]) -> None:
    _limit_memory()
    trials = [_portable(_trial(sandbox, now, piece)) for piece in pieces]
    sending.send(trials)
    sending.close()


def _trial(sandbox: Sandbox, now: datetime, piece: Piece) -> Trial:
    source, mode = piece
    try:
        with clock_at(now):
            if mode == "eval":
                return Trial(value=sandbox.evaluate(source, {}))
            sandbox.execute(source, {})
            return Trial()
    except ModelCodeBreach as breach:
        return Trial(breach=breach)
    except NameError as missing:
        return Trial(missing=getattr(missing, "name", None) or str(missing))
    except Exception as error:  # the code itself fails: a case would stop here
        return Trial(failure=f"{type(error).__name__}: {error}")


def _portable(trial: Trial) -> Trial:
    """A value that cannot cross the pipe (a generator, say) travels as its repr; no model wants one."""
    try:
        pickle.dumps(trial.value)
    except Exception:
        return Trial(value=repr(trial.value))
    return trial


def _limit_memory() -> None:
    """Cap the child's address space a little above what it inherited (Linux; elsewhere no cap)."""
    try:
        status = Path("/proc/self/status").read_text()
        size_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmSize:"))
        limit = size_kb * 1024 + MEMORY_HEADROOM_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration):
        pass
