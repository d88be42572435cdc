"""The engine clock: the instant a step works at, and SpiffWorkflow's timers reading it (install_clock)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.kernel.clock import require_aware

_engine_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "lotse_engine_now", default=None
)


def current_time() -> datetime:
    """The instant the engine is working at: the step's clock, or the wall clock outside a step."""
    return _engine_now.get() or datetime.now(UTC)


_REACHED = timedelta(microseconds=1)


class _ClockedDatetime(datetime):
    """What SpiffWorkflow's timers see as now: the engine clock.

    SpiffWorkflow fires a timer only when its due instant is strictly before now; Lotse treats the
    due instant itself as reached, so the timers see the clock one microsecond ahead.
    """

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        moment = current_time() + _REACHED
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def install_clock() -> None:
    """Make SpiffWorkflow's timers read the engine clock instead of ``datetime.now()``; idempotent.

    Called when a runtime is built (and by a benchmark that runs SpiffWorkflow on its own), never at import.
    """
    spiff_timer.datetime = _ClockedDatetime  # type: ignore[misc]


@contextlib.contextmanager
def clock_at(now: datetime) -> Iterator[None]:
    token = _engine_now.set(require_aware(now).astimezone(UTC))
    try:
        yield
    finally:
        _engine_now.reset(token)
