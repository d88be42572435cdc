"""Strafantrag deadlines (§ 77b StGB) and the reminders a counsellor gets before one runs out.

The three-month period begins at the end of the day the person learned of both the offence and the
offender (§ 77b Abs. 2 StGB) and ends, by §§ 187, 188 BGB, with the day of the third month that bears the
same number as that day, or the month's last day where it has none. A period ending on a Saturday, Sunday
or public holiday of the person's Land ends with the next working day (§ 77b Abs. 1 Satz 2 StGB).
Service closure days (24 and 31 December) are not public holidays and do not move a legal deadline.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, timedelta

from engine.business_calendar import BusinessCalendar

REMINDER_DAYS = (42, 70)
# Offences that are prosecuted only on a Strafantrag: the insult offences §§ 185–187 StGB (DOMAIN.md §2).
OFFENCES_NEEDING_STRAFANTRAG = frozenset({"beleidigung", "ueble_nachrede"})


@dataclass(frozen=True)
class StrafantragClock:
    """The state of one offence's Strafantrag period."""

    offence: str
    started_on: date | None  # None: the offender is unknown, the period has not begun
    deadline: date | None
    moved_from: date | None  # the calendar end when a weekend or holiday moved it
    reminders: tuple[date, ...]

    @property
    def running(self) -> bool:
        return self.started_on is not None

    def days_left(self, today: date) -> int | None:
        return (self.deadline - today).days if self.deadline else None


def add_months(start: date, count: int) -> date:
    """The day of the month ``count`` months later with the same number, or that month's last day."""
    month_index = start.month - 1 + count
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, months.monthrange(year, month)[1]))


def strafantrag_clock(
    offence: str, learned_of_offence: date, learned_of_offender: date | None, land: str
) -> StrafantragClock:
    """The period for one offence; ``learned_of_offender=None`` means the offender is still unknown."""
    if learned_of_offender is None:
        return StrafantragClock(offence, None, None, None, ())
    started = max(learned_of_offence, learned_of_offender)
    calendar_end = add_months(started, 3)
    legal = BusinessCalendar(land=land, recurring_closures=())
    deadline = legal.next_working_day(calendar_end)
    reminders = tuple(started + timedelta(days=day) for day in REMINDER_DAYS)
    return StrafantragClock(
        offence, started, deadline, calendar_end if deadline != calendar_end else None, reminders
    )
