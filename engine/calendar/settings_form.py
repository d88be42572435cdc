"""The administrator's calendar form: reading what was typed, naming every bad setting, and the
stored settings written back as the form shows them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time

from engine.calendar.settings import (
    SETTING_NAMES,
    CalendarSettings,
    Problems,
    bad_month_day,
    calendar_settings,
    is_month_day,
    problems,
)
from engine.kernel.errors import CalendarSettingsInvalid
from engine.kernel.numbers import whole_number

_SEPARATORS = re.compile(r"[\n\r,;]+")
_DAY_MONTH = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.?")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


def parse_calendar_form(
    opens: str, closes: str, weekdays: Iterable[str], land: str, recurring_closures: str, closures: str
) -> CalendarSettings:
    """Settings from what was typed; raises CalendarSettingsInvalid naming every bad setting.

    Times as ``HH:MM``; weekdays as numbers (Monday=0); closure days one per line (or comma-separated),
    yearly ones as ``24.12.``, single ones as ``2026-12-28`` or ``28.12.2026``.
    """
    found: Problems = {}
    opening = _parse_time(opens, "opens", "Öffnungszeit", "Opening time", found)
    closing = _parse_time(closes, "closes", "Schließzeit", "Closing time", found)
    days = _parse_weekdays(weekdays, found)
    pairs = _parse_month_days(recurring_closures, found)
    dates = _parse_dates(closures, found)
    parsed = calendar_settings(
        opening or time(9, 0), closing or time(16, 0), days, land, pairs or (), dates or ()
    )
    checks = problems(parsed)
    if opening is None or closing is None:
        checks.pop("opens", None)
        checks.pop("closes", None)
    found = {**checks, **found}
    if found:
        raise CalendarSettingsInvalid({name: found[name] for name in SETTING_NAMES if name in found})
    return parsed


def _parse_time(text: str, name: str, german: str, english: str, found: Problems) -> time | None:
    try:
        value = time.fromisoformat(text.strip())
    except ValueError:
        found[name] = (
            f"{german}: bitte als Uhrzeit angeben, z. B. 09:00.",
            f"{english}: please enter a time, e.g. 09:00.",
        )
        return None
    return value


def _parse_weekdays(values: Iterable[str], found: Problems) -> frozenset[int]:
    days = set()
    for value in values:
        day = whole_number(value, 0, 6)
        if day is None:
            found["weekdays"] = ("Öffnungstage: unbekannter Wochentag.", "Open weekdays: unknown weekday.")
            continue
        days.add(day)
    return frozenset(days)


def _entries(text: str) -> list[str]:
    return [entry.strip() for entry in _SEPARATORS.split(text) if entry.strip()]


def _parse_month_days(text: str, found: Problems) -> list[tuple[int, int]] | None:
    pairs = []
    for entry in _entries(text):
        matched = _DAY_MONTH.fullmatch(entry)
        if matched is None or not is_month_day(int(matched[2]), int(matched[1])):
            found["recurring_closures"] = bad_month_day(entry)
            return None
        pairs.append((int(matched[2]), int(matched[1])))
    return pairs


def _parse_dates(text: str, found: Problems) -> list[date] | None:
    days = []
    for entry in _entries(text):
        day = _parse_date(entry)
        if day is None:
            found["closures"] = (
                f"Einzelne Schließtage: „{entry}“ ist kein gültiges Datum (Format JJJJ-MM-TT oder TT.MM.JJJJ).",
                f"Single closure days: “{entry}” is not a valid date (format YYYY-MM-DD or DD.MM.YYYY).",
            )
            return None
        days.append(day)
    return days


def _parse_date(entry: str) -> date | None:
    german = _GERMAN_DATE.fullmatch(entry)
    try:
        if german is not None:
            return date(int(german[3]), int(german[2]), int(german[1]))
        return date.fromisoformat(entry) if len(entry) == 10 else None
    except ValueError:
        return None


def month_day_text(pairs: Iterable[tuple[int, int]]) -> str:
    """Yearly closure days as the form shows them, one per line: ``24.12.``."""
    return "\n".join(f"{day:02d}.{month:02d}." for month, day in pairs)


def dates_text(days: Iterable[date]) -> str:
    """Single closure days as the form shows them, one per line: ``2026-12-28``."""
    return "\n".join(day.isoformat() for day in days)
