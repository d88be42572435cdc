"""The calendar's cached arithmetic against a plain day-by-day reference, over many random moments.

The reference asks the holidays package itself for every day and walks from day to day, as the
calendar did before it cached per-date facts and counted working days per year.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from engine.calendar.business_calendar import BERLIN, BusinessCalendar
from engine.calendar.office_hours import OfficeHours
from engine.deadlines.due_times import describe_due

WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
DST_DAYS = (date(2025, 3, 30), date(2025, 10, 26), date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28))
SETUPS = [
    {"land": "NW"},
    {"land": "BY"},
    {"land": "BE"},
    {"land": "SN", "closures": [date(2026, 5, 15), date(2026, 11, 2)]},
    {"land": "HH", "recurring_closures": [(12, 24), (12, 31), (2, 29)]},
    {
        "land": "TH",
        "hours": OfficeHours(time(7, 30), time(19, 45), frozenset({0, 1, 2, 3, 4, 5})),
        "recurring_closures": [],
    },
]


class Reference:
    """What the calendar must answer, computed the long way."""

    def __init__(self, land: str, hours: OfficeHours, recurring: list[tuple[int, int]], closures: list[date]):
        self.hours = hours
        self.land = land
        self.recurring = set(recurring)
        self.closures = set(closures)
        self.years: dict[int, holidays.HolidayBase] = {}

    def closure_reason(self, day: date) -> str | None:
        if day.year not in self.years:
            self.years[day.year] = holidays.country_holidays(
                "DE", subdiv=self.land, years=day.year, language="de"
            )
        found = self.years[day.year].get(day)
        if found is not None:
            return found
        if day.weekday() not in self.hours.weekdays:
            return WEEKDAY_NAMES[day.weekday()]
        if day in self.closures or (day.month, day.day) in self.recurring:
            return "Schließtag"
        return None

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        first = start.astimezone(BERLIN).replace(tzinfo=None)
        last = end.astimezone(BERLIN).replace(tzinfo=None)
        if end < start:
            first, last = last, first
        total = timedelta()
        day = first.date()
        while day <= last.date():
            if self.closure_reason(day) is None:
                opening = datetime.combine(day, self.hours.opens)
                closing = datetime.combine(day, self.hours.closes)
                total += max(min(last, closing) - max(first, opening), timedelta())
            day += timedelta(days=1)
        hours = total / timedelta(hours=1)
        return -hours if end < start else hours


def _calendars(setup: dict) -> tuple[BusinessCalendar, Reference]:
    hours = setup.get("hours", OfficeHours())
    recurring = setup.get("recurring_closures", [(12, 24), (12, 31)])
    closures = setup.get("closures", [])
    calendar = BusinessCalendar(setup["land"], hours, recurring, closures)
    return calendar, Reference(setup["land"], hours, recurring, closures)


def _moment(rng: random.Random, hours: OfficeHours) -> datetime:
    """A Berlin moment that often lies on a DST change day, at a boundary of office hours or at night."""
    draw = rng.random()
    if draw < 0.2:
        day = rng.choice(DST_DAYS) + timedelta(days=rng.choice((-1, 0, 0, 1)))
    else:
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    draw = rng.random()
    if draw < 0.25:
        wall = rng.choice((hours.opens, hours.closes, time(0, 0), time(2, 30), time(23, 59, 59)))
    else:
        wall = time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.choice((0, 0, 123456)))
    return datetime.combine(day, wall, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize("setup", SETUPS, ids=lambda setup: setup["land"])
def test_closure_reasons_match_the_reference(setup: dict) -> None:
    calendar, reference = _calendars(setup)
    day = date(2024, 12, 1)
    while day < date(2028, 1, 31):
        assert calendar.closure_reason(day) == reference.closure_reason(day), day
        assert calendar.is_working_day(day) == (reference.closure_reason(day) is None), day
        day += timedelta(days=1)


@pytest.mark.parametrize("setup", SETUPS, ids=lambda setup: setup["land"])
def test_working_hours_and_due_texts_match_the_reference(setup: dict) -> None:
    calendar, reference = _calendars(setup)
    rng = random.Random(f"lotse-{setup['land']}")
    for _ in range(400):
        start, end = _moment(rng, calendar.hours), _moment(rng, calendar.hours)
        if rng.random() < 0.4:  # near one another, as most due times on a page are
            end = start + timedelta(minutes=rng.randrange(-3000, 3000))
        expected = reference.working_hours_between(start, end)
        assert calendar.working_hours_between(start, end) == expected, (start, end)
        assert describe_due(calendar, end, start) == describe_due(reference, end, start), (start, end)  # type: ignore[arg-type]


def test_a_reconfigured_calendar_forgets_what_it_cached() -> None:
    calendar = BusinessCalendar("NW")
    monday, friday = datetime(2026, 6, 1, 8, tzinfo=UTC), datetime(2026, 6, 5, 14, tzinfo=UTC)
    assert calendar.working_hours_between(monday, friday) == 6 + 7 + 7 + 7  # Thursday: Fronleichnam
    calendar.reconfigure(land="BE", closures=[date(2026, 6, 2)])
    assert calendar.closure_reason(date(2026, 6, 4)) is None
    assert calendar.closure_reason(date(2026, 6, 2)) == "Schließtag"
    assert calendar.working_hours_between(monday, friday) == 6 + 7 + 7 + 7


def test_spans_over_several_years() -> None:
    calendar, reference = _calendars({"land": "BY"})
    start = datetime(2024, 11, 20, 13, 17, tzinfo=UTC)
    for end in (datetime(2027, 2, 3, 9, 45, tzinfo=UTC), datetime(2025, 1, 2, 10, tzinfo=UTC)):
        assert calendar.working_hours_between(start, end) == reference.working_hours_between(start, end)
        assert calendar.working_hours_between(end, start) == reference.working_hours_between(end, start)
