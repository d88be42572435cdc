"""The days the office is closed in whole years, as the administrator's page lists them: public
holidays of the Land (named in German or English) and closure days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import holidays

from engine.calendar.settings import CalendarSettings


@dataclass(frozen=True, order=True)
class ClosedDay:
    day: date
    kind: str  # "holiday" or "closure"
    name: str  # the holiday's name in the asked language, empty for a closure day


def closed_days(
    settings: CalendarSettings, first_year: int, last_year: int, language: str = "de"
) -> list[ClosedDay]:
    """Public holidays of the Land and closure days from ``first_year`` to ``last_year``, by date."""
    calendar = settings.calendar()
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    found = calendar.holidays_between(start, end)
    names = (
        dict(found) if language == "de" else _holiday_names(settings.land, first_year, last_year, language)
    )
    days = [ClosedDay(day, "holiday", names.get(day, name)) for day, name in found]
    holiday_days = {day for day, _ in found}
    closures = {day for day in _closure_dates(settings, first_year, last_year) if day not in holiday_days}
    return sorted(days + [ClosedDay(day, "closure", "") for day in closures])


def _closure_dates(settings: CalendarSettings, first_year: int, last_year: int) -> Iterable[date]:
    years = range(first_year, last_year + 1)
    yield from (day for day in settings.closures if day.year in years)
    for year in years:
        yield from (
            date(year, month, day) for month, day in settings.recurring_closures if _is_day(year, month, day)
        )


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _holiday_names(land: str, first_year: int, last_year: int, language: str) -> dict[date, str]:
    found = holidays.country_holidays(
        "DE",
        subdiv=land,
        years=range(first_year, last_year + 1),
        language="en_US" if language == "en" else "de",
    )
    return dict(found.items())
