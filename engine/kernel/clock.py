"""Time for the engine: the real clock in production, a controllable one in tests and simulations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

SESSION_CLOCK = "lotse.clock"  # the key under which a unit of work's session carries the engine clock


class NaiveTimeError(ValueError):
    """A datetime without a UTC offset was given where the engine needs an unambiguous instant."""

    def __init__(self, value: datetime) -> None:
        super().__init__(
            f"A timezone-aware datetime is required, got the naive value {value.isoformat()} "
            "(Zeitangabe ohne Zeitzone)."
        )


def require_aware(value: datetime) -> datetime:
    """Return ``value`` unchanged if it carries an offset, else raise NaiveTimeError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveTimeError(value)
    return value


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, always in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, benchmarks, simulations)."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = require_aware(at).astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now
