"""How a due time reads to a person: in working time of the service's calendar, German and English."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.calendar.business_calendar import BusinessCalendar

SOON_HOURS = 2.0


@dataclass(frozen=True)
class DueText:
    german: str
    english: str
    state: str  # "none", "ok", "soon", "overdue"

    def text(self, language: str) -> str:
        return self.german if language == "de" else self.english


def describe_due(
    calendar: BusinessCalendar, due: datetime | None, now: datetime, clock_time: bool = False
) -> DueText:
    """One rule, and the text says which: a working-time deadline in office hours ("fällig in 3 Arbeitsstd.",
    "seit 2 Arbeitstagen überfällig"), a calendar-time one (AKUT, ``clock_time``) in clock hours and
    calendar days ("fällig in 3 Std. (Uhrzeit)")."""
    if due is None:
        return DueText("keine Frist", "no due time", "none")
    overdue = due <= now
    if clock_time:
        hours = abs((due - now) / timedelta(hours=1))
        german, english = _clock_amount(hours)
    else:
        hours = abs(calendar.working_hours_between(now, due))
        if hours == 0:  # no office hours in between: at the next opening, or since the last closing
            if overdue:
                return DueText("überfällig seit Dienstschluss", "overdue since the office closed", "overdue")
            return DueText("fällig bei Dienstbeginn", "due when the office opens", "soon")
        german, english = _working_amount(hours, _day_length(calendar))
    if overdue:
        return DueText(f"seit {german} überfällig", f"overdue by {english}", "overdue")
    state = "soon" if hours <= SOON_HOURS else "ok"
    return DueText(f"fällig in {german}", f"due in {english}", state)


def _day_length(calendar: BusinessCalendar) -> float:
    opens, closes = calendar.hours.opens, calendar.hours.closes
    return (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) / 60


def _minutes(hours: float) -> tuple[str, str]:
    minutes = max(1, math.floor(hours * 60))
    return f"{minutes} Min.", f"{minutes} min"


def _working_amount(hours: float, day_length: float) -> tuple[str, str]:
    if hours < 1:
        return _minutes(hours)
    if hours < day_length:
        whole = math.floor(hours)
        return f"{whole} Arbeitsstd.", f"{whole} working hour{'s' if whole != 1 else ''}"
    days = math.floor(hours / day_length)
    return (
        f"{days} Arbeitstag{'en' if days != 1 else ''}",
        f"{days} working day{'s' if days != 1 else ''}",
    )


def _clock_amount(hours: float) -> tuple[str, str]:
    if hours < 1:
        german, english = _minutes(hours)
    elif hours < 24:
        whole = math.floor(hours)
        german, english = f"{whole} Std.", f"{whole} h"
    else:
        days = math.floor(hours / 24)
        german = f"{days} Kalendertag{'en' if days != 1 else ''}"
        english = f"{days} calendar day{'s' if days != 1 else ''}"
    return f"{german} (Uhrzeit)", f"{english} (clock time)"
