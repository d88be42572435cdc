"""The period a person chose on the statistics page (month, quarter, year or custom), checked field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from engine.kernel.numbers import whole_number
from engine.statistics.period import Period, month, quarter, year

KINDS = ("monat", "quartal", "jahr", "frei")
LONGEST_DAYS = 3 * 366  # a custom period of three years at most


@dataclass
class PeriodChoice:
    kind: str
    year: int
    number: int = 1  # the month or quarter
    first: str = ""
    last: str = ""
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (German, English)
    period: Period | None = None


def choose(args: Mapping[str, str], today: date) -> PeriodChoice:
    """Read ``art``, ``jahr``, ``nummer``, ``von``, ``bis``; defaults: the current year."""
    kind = args.get("art", "jahr")
    choice = PeriodChoice(
        kind if kind in KINDS else "jahr", today.year, first=args.get("von", ""), last=args.get("bis", "")
    )
    choice.year = _number(args.get("jahr"), today.year, 2000, 2100, "jahr", choice)
    limit = 12 if choice.kind == "monat" else 4
    choice.number = _number(args.get("nummer"), 1, 1, limit, "nummer", choice)
    if choice.errors:
        return choice
    if choice.kind == "monat":
        choice.period = month(choice.year, choice.number)
    elif choice.kind == "quartal":
        choice.period = quarter(choice.year, choice.number)
    elif choice.kind == "jahr":
        choice.period = year(choice.year)
    else:
        choice.period = _custom(choice)
    return choice


def _number(text: str | None, default: int, low: int, high: int, name: str, choice: PeriodChoice) -> int:
    if text in (None, ""):
        return default
    number = whole_number(text, low, high)
    if number is None:
        choice.errors[name] = (
            f"Bitte eine Zahl von {low} bis {high} angeben.",
            f"Please give a number from {low} to {high}.",
        )
        return default
    return number


def _custom(choice: PeriodChoice) -> Period | None:
    first, last = _day(choice.first, "von", choice), _day(choice.last, "bis", choice)
    if first is None or last is None:
        return None
    if last < first:
        choice.errors["bis"] = ("Das Ende liegt vor dem Anfang.", "The end lies before the start.")
        return None
    if (last - first).days > LONGEST_DAYS:
        choice.errors["bis"] = ("Höchstens drei Jahre auf einmal.", "Three years at most at once.")
        return None
    return Period(first, last)


def _day(text: str, name: str, choice: PeriodChoice) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        choice.errors[name] = ("Bitte ein Datum angeben (TT.MM.JJJJ).", "Please give a date.")
        return None
