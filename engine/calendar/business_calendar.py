"""Working-time calendar of the counselling service: which days the office is open, and why not.

The office is open on configured weekdays between opening and closing time (local wall time in
Europe/Berlin, see ``office_hours``). It is closed on the public holidays of one German Land and on
extra closure days. Deadlines are computed in working time on top of that calendar (``working_time``);
process models reach them through ``deadline_functions``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from engine.calendar import working_time
from engine.calendar.laender import GERMAN_LANDS
from engine.calendar.office_hours import OfficeHours

__all__ = ["BERLIN", "CLOSURE_DAY_REASON", "BusinessCalendar"]

BERLIN = ZoneInfo("Europe/Berlin")

CLOSURE_DAY_REASON = "Schließtag"

_WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_ONE_DAY = timedelta(days=1)
# Upper bound when searching for the next working day; only a misconfigured calendar gets near it.
_MAX_SCAN_DAYS = 3660
_DEFAULT_HOURS = OfficeHours()  # 09:00-16:00, Monday to Friday


def _require_date(value: date) -> date:
    """Return ``value`` if it is a plain date; datetimes are refused to avoid silent lookup misses."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


def _normalize_land(land: str) -> str:
    code = land.strip().upper()
    if code not in GERMAN_LANDS:
        raise ValueError(f"unknown German Land {land!r}; expected one of {', '.join(sorted(GERMAN_LANDS))}")
    return code


def _span(start: time, end: time) -> timedelta:
    """The time from ``start`` to ``end`` on one day (naive wall times)."""
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def _month_day(pair: tuple[int, int]) -> tuple[int, int]:
    """Validate a recurring (month, day) closure; 29 February is allowed."""
    month, day = pair
    date(2000, month, day)  # raises ValueError for impossible dates; 2000 is a leap year
    return month, day


class _Rules:
    """One fixed configuration of the calendar: which days are working days, and why the others are not.

    It is the ``OfficeDays`` that ``working_time`` computes on.

    Never changed after construction: a calendar that is reconfigured swaps in a new ``_Rules``, so a
    computation that started on the old configuration finishes on it.
    """

    def __init__(
        self,
        land: str,
        hours: OfficeHours,
        recurring_closures: Iterable[tuple[int, int]],
        closures: Iterable[date],
        tz: ZoneInfo,
        holiday_cache: dict[int, dict[date, str]] | None = None,
    ) -> None:
        if not isinstance(hours, OfficeHours):
            raise TypeError(f"expected OfficeHours, got {type(hours).__name__}")
        self._land = _normalize_land(land)
        self._hours = hours
        self._recurring_closures = frozenset(_month_day(pair) for pair in recurring_closures)
        self._closures = frozenset(_require_date(day) for day in closures)
        self._tz = tz
        self._holiday_cache: dict[int, dict[date, str]] = {} if holiday_cache is None else holiday_cache
        # Facts derived from this fixed configuration, filled on first use. Concurrent requests may
        # compute the same entry twice; both results are equal, and a dict store is atomic.
        self._reasons: dict[date, str | None] = {}
        self._office_days: dict[date, tuple[datetime, datetime] | None] = {}
        self._counts: dict[int, tuple[int, tuple[int, ...]]] = {}
        self._day_length = _span(hours.opens, hours.closes)

    def changed(
        self,
        land: str | None,
        hours: OfficeHours | None,
        recurring_closures: Iterable[tuple[int, int]] | None,
        closures: Iterable[date] | None,
    ) -> _Rules:
        """A copy with the given parts replaced; the holidays computed so far are kept if the Land stays."""
        land = self._land if land is None else _normalize_land(land)
        return _Rules(
            land,
            self._hours if hours is None else hours,
            self._recurring_closures if recurring_closures is None else recurring_closures,
            self._closures if closures is None else closures,
            self._tz,
            self._holiday_cache if land == self._land else None,
        )

    @property
    def land(self) -> str:
        return self._land

    @property
    def hours(self) -> OfficeHours:
        return self._hours

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def recurring_closures(self) -> frozenset[tuple[int, int]]:
        return self._recurring_closures

    @property
    def closures(self) -> frozenset[date]:
        return self._closures

    @property
    def day_length(self) -> timedelta:
        return self._day_length

    # --- days -------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return self._reason(_require_date(day)) is None

    def closure_reason(self, day: date) -> str | None:
        """Why the office is closed on ``day`` (holiday name, weekday name or "Schließtag"); None if open."""
        return self._reason(_require_date(day))

    def _reason(self, day: date) -> str | None:
        """``closure_reason`` of a checked date, worked out once per date."""
        try:
            return self._reasons[day]
        except KeyError:
            found = self._reasons[day] = self._closure_reason_uncached(day)
            return found

    def _closure_reason_uncached(self, day: date) -> str | None:
        holiday = self._holidays_of_year(day.year).get(day)
        if holiday is not None:
            return holiday
        if day.weekday() not in self._hours.weekdays:
            return _WEEKDAY_NAMES[day.weekday()]
        if self._is_closure_day(day):
            return CLOSURE_DAY_REASON
        return None

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Public holidays of the Land from ``start`` to ``end`` (both inclusive), sorted by date."""
        start, end = _require_date(start), _require_date(end)
        found = [
            (day, name)
            for year in range(start.year, end.year + 1)
            for day, name in self._holidays_of_year(year).items()
            if start <= day <= end
        ]
        return sorted(found)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the first working day after it."""
        day = _require_date(day)
        for offset in range(_MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError(f"no working day within {_MAX_SCAN_DAYS} days after {day}; check the calendar")

    # --- for the working-time arithmetic ----------------------------------------------------------

    def following_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.next_working_day(day + _ONE_DAY)

    def office_day(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing time of ``day`` as wall times, None if the office is closed; kept per date."""
        try:
            return self._office_days[day]
        except KeyError:
            hours = self._hours
            found = (
                None
                if self._reason(day) is not None
                else (datetime.combine(day, hours.opens), datetime.combine(day, hours.closes))
            )
            self._office_days[day] = found
            return found

    def working_days_between(self, first: date, last: date) -> int:
        """Working days strictly after ``first`` and strictly before ``last`` (``first < last``)."""
        first_start, first_counts = self._year_counts(first.year)
        last_start, last_counts = self._year_counts(last.year)
        after_first = first.toordinal() - first_start + 1  # days of the year up to and including ``first``
        before_last = last.toordinal() - last_start
        if first.year == last.year:
            return last_counts[before_last] - first_counts[after_first]
        found = first_counts[-1] - first_counts[after_first] + last_counts[before_last]
        for year in range(first.year + 1, last.year):
            found += self._year_counts(year)[1][-1]
        return found

    # --- internals --------------------------------------------------------------------------------

    def _holidays_of_year(self, year: int) -> dict[date, str]:
        """Public holidays of one year, computed once per calendar and year."""
        cached = self._holiday_cache.get(year)
        if cached is None:
            found = holidays.country_holidays("DE", subdiv=self._land, years=year, language="de")
            cached = {day: name for day, name in found.items() if day.year == year}
            self._holiday_cache[year] = cached
        return cached

    def _is_closure_day(self, day: date) -> bool:
        return day in self._closures or (day.month, day.day) in self._recurring_closures

    def _year_counts(self, year: int) -> tuple[int, tuple[int, ...]]:
        """The ordinal of 1 January of ``year`` and the working days among the year's first n days,
        for n = 0 .. length of the year."""
        found = self._counts.get(year)
        if found is None:
            start = date(year, 1, 1).toordinal()
            running, counts = 0, [0]
            for ordinal in range(start, date(year, 12, 31).toordinal() + 1):
                running += self._reason(date.fromordinal(ordinal)) is None
                counts.append(running)
            found = self._counts[year] = (start, tuple(counts))
        return found


class BusinessCalendar:
    """Office hours, public holidays of one German Land and closure days, with working-time arithmetic.

    The calendar can be reconfigured in place (``reconfigure``), so everything holding a reference to
    it - the helpers of process-model expressions, for instance - follows a change of the settings.
    Every method reads the configuration once, so a call never mixes the old and the new settings.
    """

    def __init__(
        self,
        land: str = "NW",
        hours: OfficeHours = _DEFAULT_HOURS,
        recurring_closures: Iterable[tuple[int, int]] = ((12, 24), (12, 31)),
        closures: Iterable[date] = (),
        tz: ZoneInfo = BERLIN,
    ) -> None:
        self._rules = _Rules(land, hours, recurring_closures, closures, tz)
        self._reconfiguring = threading.Lock()

    def reconfigure(
        self,
        *,
        land: str | None = None,
        hours: OfficeHours | None = None,
        recurring_closures: Iterable[tuple[int, int]] | None = None,
        closures: Iterable[date] | None = None,
    ) -> None:
        """Replace the given parts of the configuration (validated first; on error nothing changes)."""
        with self._reconfiguring:
            self._rules = self._rules.changed(land, hours, recurring_closures, closures)

    @property
    def land(self) -> str:
        """Code of the German Land whose public holidays apply, e.g. ``"NW"``."""
        return self._rules.land

    @property
    def hours(self) -> OfficeHours:
        return self._rules.hours

    @property
    def tz(self) -> ZoneInfo:
        return self._rules.tz

    @property
    def recurring_closures(self) -> frozenset[tuple[int, int]]:
        """Closure days that recur every year, as (month, day) pairs."""
        return self._rules.recurring_closures

    @property
    def closures(self) -> frozenset[date]:
        """Single extra closure dates."""
        return self._rules.closures

    def is_working_day(self, day: date) -> bool:
        return self._rules.is_working_day(day)

    def closure_reason(self, day: date) -> str | None:
        """Why the office is closed on ``day`` (holiday name, weekday name or "Schließtag"); None if open."""
        return self._rules.closure_reason(day)

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Public holidays of the Land from ``start`` to ``end`` (both inclusive), sorted by date."""
        return self._rules.holidays_between(start, end)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the first working day after it."""
        return self._rules.next_working_day(day)

    def is_open(self, at: datetime) -> bool:
        return working_time.is_open(self._rules, at)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment after ``hours`` of office time have elapsed from ``start``."""
        return working_time.add_working_hours(self._rules, start, hours)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Closing time of the ``days``-th working day after the local date of ``start``.

        With ``days == 0`` the deadline is closing time of the start day if the office is still
        going to be open that day, otherwise closing time of the next working day.
        """
        return working_time.add_working_days(self._rules, start, days)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours elapsed from ``start`` to ``end``; negative if ``end`` lies before ``start``."""
        return working_time.working_hours_between(self._rules, start, end)
