"""§ 77b StGB deadlines: three months, moved off weekends and the Land's public holidays."""

from __future__ import annotations

from datetime import date

import pytest

from engine.strafantrag.periods import add_months, strafantrag_clock


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 1, 15), date(2026, 4, 15)),
        (date(2026, 11, 30), date(2027, 2, 28)),  # no 30 February: the month's last day (§ 188 Abs. 3 BGB)
        (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
        (date(2026, 10, 31), date(2027, 1, 31)),
    ],
)
def test_three_months_by_the_civil_code(start, expected):
    assert add_months(start, 3) == expected


def test_deadline_on_a_saturday_moves_to_monday():
    clock = strafantrag_clock("beleidigung", date(2026, 3, 10), date(2026, 3, 13), "NW")
    assert clock.started_on == date(2026, 3, 13)  # the later of offence and offender
    assert clock.moved_from == date(2026, 6, 13)  # Saturday
    assert clock.deadline == date(2026, 6, 15)  # Monday


def test_deadline_on_easter_monday_moves_to_tuesday():
    clock = strafantrag_clock("beleidigung", date(2026, 1, 6), date(2026, 1, 6), "BY")
    assert clock.moved_from == date(2026, 4, 6)  # Ostermontag 2026
    assert clock.deadline == date(2026, 4, 7)


def test_holidays_of_the_persons_land_count():
    # Fronleichnam 4 June 2026 is a holiday in NW but not in BE
    nw = strafantrag_clock("ueble_nachrede", date(2026, 3, 4), date(2026, 3, 4), "NW")
    be = strafantrag_clock("ueble_nachrede", date(2026, 3, 4), date(2026, 3, 4), "BE")
    assert nw.deadline == date(2026, 6, 5) and be.deadline == date(2026, 6, 4)


def test_service_closure_days_do_not_move_a_legal_deadline():
    clock = strafantrag_clock("beleidigung", date(2026, 9, 24), date(2026, 9, 24), "NW")
    assert clock.deadline == date(2026, 12, 24)  # a Thursday, not a public holiday


def test_unknown_offender_means_the_clock_has_not_started():
    clock = strafantrag_clock("beleidigung", date(2026, 3, 10), None, "NW")
    assert not clock.running and clock.deadline is None and clock.reminders == ()


def test_reminders_on_day_42_and_70():
    clock = strafantrag_clock("beleidigung", date(2026, 3, 2), date(2026, 3, 2), "NW")
    assert clock.reminders == (date(2026, 4, 13), date(2026, 5, 11))
    assert clock.days_left(date(2026, 5, 11)) == (clock.deadline - date(2026, 5, 11)).days
