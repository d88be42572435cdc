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


def describe_due(calendar: BusinessCalendar, due: datetime | None, now: datetime) -> DueText:
    """ "fällig in 3 Std.", "seit 2 Arbeitstagen überfällig" — counted in office hours."""
    if due is None:
        return DueText("keine Frist", "no due time", "none")
    overdue = due <= now
    hours = abs(calendar.working_hours_between(now, due))
    if hours == 0:  # both instants outside office hours: tell calendar time instead
        hours_real = abs((due - now) / timedelta(hours=1))
        german, english = _amount(hours_real, _day_length(calendar), calendar_time=True)
    else:
        german, english = _amount(hours, _day_length(calendar), calendar_time=False)
    if overdue:
        return DueText(f"seit {german} überfällig", f"overdue by {english}", "overdue")
    state = "soon" if hours <= SOON_HOURS else "ok"
    return DueText(f"fällig in {german}", f"due in {english}", state)


def _day_length(calendar: BusinessCalendar) -> float:
    opens, closes = calendar.hours.opens, calendar.hours.closes
    return (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) / 60


def _amount(hours: float, day_length: float, calendar_time: bool) -> tuple[str, str]:
    if hours < 1:
        minutes = max(1, math.floor(hours * 60))
        return f"{minutes} Min.", f"{minutes} min"
    if calendar_time or hours < day_length:
        whole = math.floor(hours)
        if calendar_time and whole >= 24:
            days = whole // 24
            return (
                f"{days} Kalendertag{'en' if days != 1 else ''}",
                f"{days} calendar day{'s' if days != 1 else ''}",
            )
        return f"{whole} Std.", f"{whole} h"
    days = math.floor(hours / day_length)
    return (
        f"{days} Arbeitstag{'en' if days != 1 else ''}",
        f"{days} working day{'s' if days != 1 else ''}",
    )
