"""The processor shared fairly while model code runs long: a short switch interval of the GIL.

A thread running pure-Python model code keeps the GIL for a whole switch interval (5 ms by default)
each time another thread gives it up for I/O, so a request or a write that calls the database a few
hundred times waits seconds behind a runaway evaluation (measured on two cores: a write beside a
runaway timer step waited 1.3–2.0 s; with a 0.2 ms interval, 20–50 ms). While any evaluation of model
code has run longer than :data:`LONG`, the interpreter's switch interval is :data:`FAIR_INTERVAL`;
when the last one ends, the interval it had before comes back. Short evaluations never touch it.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["FAIR_INTERVAL", "LONG", "claim", "claims", "release"]

LONG = 0.005  # seconds of wall time after which an evaluation counts as long
FAIR_INTERVAL = 0.0002  # seconds: the switch interval while a long evaluation runs

_lock = threading.Lock()
_claims = 0
_before = sys.getswitchinterval()


def claim() -> None:
    """A long evaluation begins to share: the first claim shortens the switch interval."""
    global _claims, _before
    with _lock:
        if _claims == 0:
            _before = sys.getswitchinterval()
            sys.setswitchinterval(min(_before, FAIR_INTERVAL))
        _claims += 1


def release() -> None:
    """A long evaluation ended: the last release restores the switch interval."""
    global _claims
    with _lock:
        if _claims == 0:
            return
        _claims -= 1
        if _claims == 0:
            sys.setswitchinterval(_before)


def claims() -> int:
    """How many long evaluations are running now."""
    return _claims
