"""Working-time arithmetic: due times in office hours and working days, and the office time between two moments.

Office hours are treated as the half-open interval ``[opens, closes)``: a moment exactly at closing
time is no longer open, but a deadline that uses up the last minute of a day ends at closing time.
All arithmetic happens in local wall time, which keeps results correct across DST changes as long as
office hours do not overlap the switch hour (02:00-03:00 in Berlin). Which days are working days is
the business calendar's part (``engine.calendar.business_calendar``).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.calendar.office_hours import OfficeHours

_ONE_HOUR = timedelta(hours=1)
_NOTHING = timedelta()


class NaiveDatetimeError(ValueError):
    """Raised when a datetime without timezone information is passed in."""

    def __init__(self, value: datetime) -> None:
        super().__init__(f"a timezone-aware datetime is required, got naive datetime {value.isoformat()}")


def require_aware(value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(value)


def require_amount(value: float, what: str) -> None:
    """Check that ``value`` is a finite, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite non-negative number, got {value}")


def require_count(value: int, what: str) -> None:
    """Check that ``value`` is a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")


class OfficeDays(Protocol):
    """The days the arithmetic stands on: one fixed configuration of the business calendar."""

    @property
    def hours(self) -> OfficeHours: ...

    @property
    def tz(self) -> ZoneInfo: ...

    @property
    def day_length(self) -> timedelta: ...

    def is_working_day(self, day: date) -> bool: ...

    def following_working_day(self, day: date) -> date: ...

    def office_day(self, day: date) -> tuple[datetime, datetime] | None: ...

    def working_days_between(self, first: date, last: date) -> int: ...


def is_open(office: OfficeDays, at: datetime) -> bool:
    wall = _to_wall(at, office.tz)
    hours = office.hours
    return office.is_working_day(wall.date()) and hours.opens <= wall.time() < hours.closes


def add_working_hours(office: OfficeDays, start: datetime, hours: float) -> datetime:
    """The moment after ``hours`` of office time have elapsed from ``start``."""
    wall = _to_wall(start, office.tz)
    require_amount(hours, "hours")
    opens, closes = office.hours.opens, office.hours.closes
    cursor = _effective_start(office, wall)
    remaining = timedelta(hours=hours)
    while remaining > (available := datetime.combine(cursor.date(), closes) - cursor):
        remaining -= available
        cursor = datetime.combine(office.following_working_day(cursor.date()), opens)
    return _from_wall(cursor + remaining, office.tz)


def add_working_days(office: OfficeDays, start: datetime, days: int) -> datetime:
    """Closing time of the ``days``-th working day after the local date of ``start``.

    With ``days == 0`` the deadline is closing time of the start day if the office is still
    going to be open that day, otherwise closing time of the next working day.
    """
    wall = _to_wall(start, office.tz)
    require_count(days, "days")
    closes = office.hours.closes
    if days == 0:
        return _from_wall(datetime.combine(_same_or_next_open_day(office, wall), closes), office.tz)
    target = wall.date()
    for _ in range(days):
        target = office.following_working_day(target)
    return _from_wall(datetime.combine(target, closes), office.tz)


def working_hours_between(office: OfficeDays, start: datetime, end: datetime) -> float:
    """Office hours elapsed from ``start`` to ``end``; negative if ``end`` lies before ``start``."""
    first, last = _to_wall(start, office.tz), _to_wall(end, office.tz)
    if end < start:
        return -(_office_time(office, last, first) / _ONE_HOUR)
    return _office_time(office, first, last) / _ONE_HOUR


def _same_or_next_open_day(office: OfficeDays, wall: datetime) -> date:
    """The local day of ``wall`` if the office is open later that day, else the next working day."""
    day = wall.date()
    if office.is_working_day(day) and wall.time() < office.hours.closes:
        return day
    return office.following_working_day(day)


def _effective_start(office: OfficeDays, wall: datetime) -> datetime:
    """The first office moment at or after ``wall`` (wall time)."""
    day = _same_or_next_open_day(office, wall)
    return max(wall, datetime.combine(day, office.hours.opens))


def _office_time(office: OfficeDays, first: datetime, last: datetime) -> timedelta:
    """Office time between two wall times with ``first <= last``: the parts of the first and the
    last day plus a full office day for each working day in between."""
    first_day, last_day = first.date(), last.date()
    total = _office_time_on(office, first_day, first, last)
    if last_day > first_day:
        total += _office_time_on(office, last_day, first, last)
        total += office.day_length * office.working_days_between(first_day, last_day)
    return total


def _office_time_on(office: OfficeDays, day: date, first: datetime, last: datetime) -> timedelta:
    """Office time of one day that lies within ``[first, last]`` (wall times)."""
    hours = office.office_day(day)
    if hours is None:
        return _NOTHING
    overlap = min(last, hours[1]) - max(first, hours[0])
    return overlap if overlap > _NOTHING else _NOTHING


def _to_wall(moment: datetime, tz: ZoneInfo) -> datetime:
    """Naive local wall time of an aware ``moment``."""
    if moment.__class__ is not datetime or moment.utcoffset() is None:  # the usual case checked cheaply
        require_aware(moment)
    return moment.astimezone(tz).replace(tzinfo=None)


def _from_wall(wall: datetime, tz: ZoneInfo) -> datetime:
    """Aware datetime for a local wall time, normalised (a time in a DST gap moves forward)."""
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
