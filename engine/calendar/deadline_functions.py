"""Deadline functions for process-model expressions (``frist``, ``arbeitstage``, ``tagesende`` …).

Each returns an ISO 8601 string with offset; working-time units are computed on the business calendar,
calendar units ignore office hours (for acute danger).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.working_time import require_amount, require_aware

# Units of deadline amounts in models and decision tables (see ``expression_helpers``).
UNITS = ("arbeitstage", "arbeitsstunden", "kalenderstunden", "kalendertage")

_END_OF_DAY = time(23, 59, 59)

# The largest amount per unit a model may ask for: ten to fifteen years. Beyond it the helpers would compute
# holidays year by year for centuries (``arbeitstage(10**9)`` ran for ever and filled memory, out of the
# sandbox's reach because helper code is not model code) or overflow the date range.
MAX_DAYS = 3650
MAX_HOURS = MAX_DAYS * 24
MAX_WORKING_HOURS = MAX_DAYS * 8
MAXIMA = {
    "arbeitstage": MAX_DAYS,
    "kalendertage": MAX_DAYS,
    "arbeitsstunden": MAX_WORKING_HOURS,
    "kalenderstunden": MAX_HOURS,
}


def require_sane(amount: object, unit: str) -> None:
    """Refuse an amount beyond the unit's maximum with a clear model error (a ValueError)."""
    limit = MAXIMA.get(unit)
    if limit is None or isinstance(amount, bool) or not isinstance(amount, int | float):
        return  # an unknown unit or a non-number is refused where it is used, with its own message
    if abs(amount) > limit:
        shown = f"{amount:.3g}" if isinstance(amount, float) else str(amount)[:20]
        raise ValueError(
            f"{unit}({shown}): at most {limit} are allowed / {unit}({shown}): höchstens {limit} sind erlaubt"
        )


def expression_helpers(
    calendar: BusinessCalendar, now: Callable[[], datetime]
) -> dict[str, Callable[..., str]]:
    """Deadline functions for process-model expressions; each returns an ISO 8601 string with offset."""

    def current() -> datetime:
        moment = now()
        require_aware(moment)
        return moment.astimezone(calendar.tz)

    def later(moment: datetime, amount: float, unit: str) -> str:
        require_sane(amount, unit)
        if unit == "arbeitstage":
            return calendar.add_working_days(moment, int(amount)).isoformat()
        if unit == "arbeitsstunden":
            return calendar.add_working_hours(moment, amount).isoformat()
        require_amount(amount, "n")
        if unit == "kalenderstunden":
            return (moment.astimezone(UTC) + timedelta(hours=amount)).astimezone(calendar.tz).isoformat()
        if unit == "kalendertage":
            wall = moment.replace(tzinfo=None) + timedelta(days=amount)
            return wall.replace(tzinfo=calendar.tz).astimezone(UTC).astimezone(calendar.tz).isoformat()
        raise ValueError(f"unknown unit {unit!r}; known: {', '.join(UNITS)}")

    def arbeitstage(n: int) -> str:
        """Closing time of the n-th working day from now."""
        return later(current(), n, "arbeitstage")

    def arbeitsstunden(n: float) -> str:
        """The moment after n office hours from now."""
        return later(current(), n, "arbeitsstunden")

    def kalenderstunden(n: float) -> str:
        """Now plus n elapsed hours, ignoring office hours (for acute danger)."""
        return later(current(), n, "kalenderstunden")

    def kalendertage(n: float) -> str:
        """Same wall-clock time n calendar days from now."""
        return later(current(), n, "kalendertage")

    def frist(menge: float, einheit: str, ab: str | None = None) -> str:
        """A due time in a unit named by a decision table, from now or from the ISO instant ``ab``."""
        if ab is None:
            return later(current(), menge, einheit)
        start = datetime.fromisoformat(ab)
        require_aware(start)
        return later(start.astimezone(calendar.tz), menge, einheit)

    def tagesende() -> str:
        """23:59:59 of the current local calendar day."""
        return datetime.combine(current().date(), _END_OF_DAY, tzinfo=calendar.tz).isoformat()

    def jetzt() -> str:
        return current().isoformat()

    return {
        "frist": frist,
        "arbeitstage": arbeitstage,
        "arbeitsstunden": arbeitsstunden,
        "kalenderstunden": kalenderstunden,
        "kalendertage": kalendertage,
        "tagesende": tagesende,
        "jetzt": jetzt,
    }
