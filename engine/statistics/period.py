"""Report periods (month, quarter, year, custom) and the calendar months they are made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Span:
    """A piece of a period: ``first`` to ``last`` (inclusive days); ``month`` set when it is a whole month."""

    first: date
    last: date
    month: str | None

    def bounds(self) -> tuple[datetime, datetime]:
        """Start and end (exclusive) as aware instants, by the days in Europe/Berlin."""
        start = datetime.combine(self.first, time(), BERLIN)
        end = datetime.combine(_next_day(self.last), time(), BERLIN)
        return start, end


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("period ends before it starts")

    def spans(self) -> list[Span]:
        """The period cut at month borders; whole months carry their key (YYYY-MM)."""
        pieces: list[Span] = []
        cursor = self.first
        while cursor <= self.last:
            month_end = _month_last(cursor)
            last = min(month_end, self.last)
            whole = cursor.day == 1 and last == month_end
            pieces.append(Span(cursor, last, month_key(cursor) if whole else None))
            cursor = _next_day(last)
        return pieces

    def label(self) -> str:
        return f"{self.first:%d.%m.%Y} – {self.last:%d.%m.%Y}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    return Period(first, _month_last(first))


def quarter(year: int, number: int) -> Period:
    if not 1 <= number <= 4:
        raise ValueError("quarter must be 1 to 4")
    first = date(year, 3 * number - 2, 1)
    return Period(first, _month_last(date(year, 3 * number, 1)))


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number, 12, 31))


def month_of(key: str) -> Span:
    first = date(int(key[:4]), int(key[5:7]), 1)
    return Span(first, _month_last(first), key)


def _month_last(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _next_day(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)
