"""Due times as people read them: counted in office hours (Mon–Fri 9–16, NW holidays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.calendar.business_calendar import BusinessCalendar
from engine.deadlines.due_times import describe_due

CAL = BusinessCalendar(land="NW")
MONDAY_10 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 10:00 Berlin


@pytest.mark.parametrize(
    ("due", "now", "german", "english", "state"),
    [
        (MONDAY_10 + timedelta(minutes=30), MONDAY_10, "fällig in 30 Min.", "due in 30 min", "soon"),
        (
            MONDAY_10 + timedelta(hours=3),
            MONDAY_10,
            "fällig in 3 Arbeitsstd.",
            "due in 3 working hours",
            "ok",
        ),
        # Monday 10:00 → Wednesday 16:00: 6 + 7 + 7 = 20 office hours = 2 working days
        (
            MONDAY_10 + timedelta(days=2, hours=6),
            MONDAY_10,
            "fällig in 2 Arbeitstagen",
            "due in 2 working days",
            "ok",
        ),
        (
            MONDAY_10,
            MONDAY_10 + timedelta(hours=1),
            "seit 1 Arbeitsstd. überfällig",
            "overdue by 1 working hour",
            "overdue",
        ),
        # Friday 10:00: 6 + 7 + 7 + 1 = 21 office hours; Fronleichnam (Thursday 4 June 2026) does not count in NW
        (
            MONDAY_10,
            MONDAY_10 + timedelta(days=4),
            "seit 3 Arbeitstagen überfällig",
            "overdue by 3 working days",
            "overdue",
        ),
        (
            MONDAY_10,
            MONDAY_10 + timedelta(days=1),
            "seit 1 Arbeitstag überfällig",
            "overdue by 1 working day",
            "overdue",
        ),
        # Saturday night, due Sunday noon: no office hours in between, so due when the office opens
        (
            datetime(2026, 6, 7, 10, 0, tzinfo=UTC),
            datetime(2026, 6, 6, 20, 0, tzinfo=UTC),
            "fällig bei Dienstbeginn",
            "due when the office opens",
            "soon",
        ),
        # due yesterday 16:00 (closing), now 07:00 before opening: no clock hours are counted
        (
            datetime(2026, 6, 1, 14, 0, tzinfo=UTC),
            datetime(2026, 6, 2, 5, 0, tzinfo=UTC),
            "überfällig seit Dienstschluss",
            "overdue since the office closed",
            "overdue",
        ),
    ],
)
def test_describe_due(due, now, german, english, state):
    text = describe_due(CAL, due, now)
    assert (text.german, text.english, text.state) == (german, english, state)


def test_no_due_time():
    assert describe_due(CAL, None, MONDAY_10).text("de") == "keine Frist"


def test_calendar_time_deadlines_are_told_in_clock_time_and_say_so():
    akut = describe_due(
        CAL, datetime(2026, 6, 7, 10, 0, tzinfo=UTC), datetime(2026, 6, 6, 20, 0, tzinfo=UTC), True
    )
    assert (akut.german, akut.english) == ("fällig in 14 Std. (Uhrzeit)", "due in 14 h (clock time)")
    late = describe_due(CAL, MONDAY_10, MONDAY_10 + timedelta(days=2, hours=1), clock_time=True)
    assert late.german == "seit 2 Kalendertagen (Uhrzeit) überfällig" and late.state == "overdue"
