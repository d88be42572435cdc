"""Working time from a case's opening to a first event, in tenths of an hour, as the statistics count it.

Stored when the event happens (the case's first reply, each referral), so that a report groups stored
numbers instead of walking the office calendar for every case.
"""

from __future__ import annotations

from datetime import datetime

from engine.calendar.business_calendar import BusinessCalendar


def working_tenths(office: BusinessCalendar, opened_at: datetime, reached_at: datetime) -> int:
    """Office hours from ``opened_at`` to ``reached_at`` (never negative), rounded to tenths, times ten."""
    hours = round(max(0.0, office.working_hours_between(opened_at, reached_at)), 1)
    return round(hours * 10)


def hours_key(tenths: int) -> str:
    """The histogram key of a duration: hours with one decimal."""
    return f"{tenths / 10:.1f}"
