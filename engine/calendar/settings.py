"""Calendar settings kept by administrators, and how every process follows a change.

The settings live in one row (table ``calendar_settings``). Without that row the calendar a process
was started with applies: the Land from ``LOTSE_LAND`` (default NW), 09:00-16:00 Monday to Friday,
closed on 24 and 31 December. Each change raises the row's revision; every process (gunicorn runs
several) compares the stored revision with the one it runs on at most every few seconds, when a unit of
work starts, and reconfigures its calendar in place when they differ.
"""

from __future__ import annotations

import logging
import re
import threading
import time as monotonic_time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import holidays
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.laender import GERMAN_LANDS
from engine.calendar.office_hours import OfficeHours
from engine.kernel import audit
from engine.kernel.errors import CalendarSettingsInvalid, NotPermitted
from engine.store.tables import CalendarSettingsRow

if TYPE_CHECKING:
    from engine.kernel.actor import Actor
    from engine.kernel.context import EngineContext

log = logging.getLogger(__name__)

ADMINISTRATION = "administration"
CHECK_SECONDS = 5.0
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
MAX_RECURRING_CLOSURES = 50
MAX_CLOSURES = 366
# Wall-clock arithmetic is only exact when office hours stay clear of the DST switch hour.
_SWITCH_HOUR = (time(2, 0), time(3, 0))
_SEPARATORS = re.compile(r"[\n\r,;]+")
_DAY_MONTH = re.compile(r"(\d{1,2})\.(\d{1,2})\.?")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")

SETTING_NAMES = ("opens", "closes", "weekdays", "land", "recurring_closures", "closures")
Problems = dict[str, tuple[str, str]]  # setting name -> (German, English)


@dataclass(frozen=True)
class CalendarSettings:
    """What an administrator sets; ``revision`` 0 means the built-in defaults (nothing stored yet)."""

    opens: time
    closes: time
    weekdays: frozenset[int]
    land: str
    recurring_closures: tuple[tuple[int, int], ...]  # (month, day), sorted
    closures: tuple[date, ...]  # sorted
    revision: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def differences(self, other: CalendarSettings) -> tuple[str, ...]:
        """Names of the settings that differ from ``other`` (the revision and who changed it aside)."""
        return tuple(name for name in SETTING_NAMES if getattr(self, name) != getattr(other, name))

    def office_hours(self) -> OfficeHours:
        return OfficeHours(self.opens, self.closes, self.weekdays)

    def calendar(self) -> BusinessCalendar:
        """A separate calendar with these settings (for previews and lists)."""
        return BusinessCalendar(self.land, self.office_hours(), self.recurring_closures, self.closures)


def calendar_settings(
    opens: time,
    closes: time,
    weekdays: Iterable[int],
    land: str,
    recurring_closures: Iterable[tuple[int, int]] = ((12, 24), (12, 31)),
    closures: Iterable[date] = (),
) -> CalendarSettings:
    """Settings in canonical form: sorted, without duplicates, Land code in capitals."""
    return CalendarSettings(
        opens=opens,
        closes=closes,
        weekdays=frozenset(weekdays),
        land=land.strip().upper(),
        recurring_closures=tuple(sorted(set(recurring_closures))),
        closures=tuple(sorted(set(closures))),
    )


def settings_of(calendar: BusinessCalendar) -> CalendarSettings:
    """The settings a calendar currently runs on (revision 0)."""
    hours = calendar.hours
    return calendar_settings(
        hours.opens,
        hours.closes,
        hours.weekdays,
        calendar.land,
        calendar.recurring_closures,
        calendar.closures,
    )


def apply_to(calendar: BusinessCalendar, settings: CalendarSettings) -> None:
    calendar.reconfigure(
        land=settings.land,
        hours=settings.office_hours(),
        recurring_closures=settings.recurring_closures,
        closures=settings.closures,
    )


# --- validation ---------------------------------------------------------------------------------


def problems(settings: CalendarSettings) -> Problems:
    """Everything wrong with ``settings``, by setting name; empty when they can be used."""
    return {
        **_hour_problems(settings.opens, settings.closes),
        **_weekday_problems(settings.weekdays),
        **_land_problems(settings.land),
        **_recurring_problems(settings.recurring_closures),
        **_closure_problems(settings.closures),
    }


def _hour_problems(opens: time, closes: time) -> Problems:
    found: Problems = {}
    for name, value, german, english in (
        ("opens", opens, "Öffnungszeit", "Opening time"),
        ("closes", closes, "Schließzeit", "Closing time"),
    ):
        if value.tzinfo is not None or value.second or value.microsecond:
            found[name] = (
                f"{german}: bitte als Uhrzeit in Stunden und Minuten angeben, z. B. 09:00.",
                f"{english}: please enter hours and minutes, e.g. 09:00.",
            )
    if found:
        return found
    if closes <= opens:
        return {
            "closes": (
                "Die Schließzeit muss nach der Öffnungszeit liegen.",
                "The closing time must be after the opening time.",
            )
        }
    if opens < _SWITCH_HOUR[1] and closes > _SWITCH_HOUR[0]:
        return {
            "opens": (
                "Die Öffnungszeiten dürfen nicht in die Stunde der Zeitumstellung (02:00–03:00) fallen.",
                "Office hours must not overlap the hour of the clock change (02:00–03:00).",
            )
        }
    return {}


def _weekday_problems(weekdays: frozenset[int]) -> Problems:
    if not weekdays:
        return {
            "weekdays": (
                "Öffnungstage: bitte mindestens einen Wochentag wählen.",
                "Open weekdays: please choose at least one weekday.",
            )
        }
    if not weekdays <= frozenset(range(7)):
        return {"weekdays": ("Öffnungstage: unbekannter Wochentag.", "Open weekdays: unknown weekday.")}
    return {}


def _land_problems(land: str) -> Problems:
    if land in GERMAN_LANDS:
        return {}
    return {
        "land": (
            f"Bundesland: „{land}“ ist kein bekanntes Bundesland.",
            f"Land: “{land}” is not a known German Land.",
        )
    }


def _recurring_problems(pairs: tuple[tuple[int, int], ...]) -> Problems:
    if len(pairs) > MAX_RECURRING_CLOSURES:
        return {
            "recurring_closures": (
                f"Jährliche Schließtage: höchstens {MAX_RECURRING_CLOSURES} Einträge.",
                f"Yearly closure days: at most {MAX_RECURRING_CLOSURES} entries.",
            )
        }
    for month, day in pairs:
        if not _is_month_day(month, day):
            return {"recurring_closures": _bad_month_day(f"{day:02d}.{month:02d}.")}
    return {}


def _closure_problems(days: tuple[date, ...]) -> Problems:
    if len(days) > MAX_CLOSURES:
        return {
            "closures": (
                f"Einzelne Schließtage: höchstens {MAX_CLOSURES} Einträge.",
                f"Single closure days: at most {MAX_CLOSURES} entries.",
            )
        }
    for day in days:
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            return {
                "closures": (
                    f"Einzelne Schließtage: {day.isoformat()} liegt nicht zwischen {EARLIEST_YEAR} und {LATEST_YEAR}.",
                    f"Single closure days: {day.isoformat()} is not between {EARLIEST_YEAR} and {LATEST_YEAR}.",
                )
            }
    return {}


def _is_month_day(month: int, day: int) -> bool:
    try:
        date(2000, month, day)  # a leap year: 29 February is allowed
    except ValueError:
        return False
    return True


def _bad_month_day(entry: str) -> tuple[str, str]:
    return (
        f"Jährliche Schließtage: „{entry}“ ist kein gültiger Tag (Format TT.MM., z. B. 24.12.).",
        f"Yearly closure days: “{entry}” is not a valid day (format DD.MM., e.g. 24.12.).",
    )


# --- the administrator's form -------------------------------------------------------------------


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
        if not value.isdigit() or int(value) > 6:
            found["weekdays"] = ("Öffnungstage: unbekannter Wochentag.", "Open weekdays: unknown weekday.")
            continue
        days.add(int(value))
    return frozenset(days)


def _entries(text: str) -> list[str]:
    return [entry.strip() for entry in _SEPARATORS.split(text) if entry.strip()]


def _parse_month_days(text: str, found: Problems) -> list[tuple[int, int]] | None:
    pairs = []
    for entry in _entries(text):
        matched = _DAY_MONTH.fullmatch(entry)
        if matched is None or not _is_month_day(int(matched[2]), int(matched[1])):
            found["recurring_closures"] = _bad_month_day(entry)
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


# --- storage ------------------------------------------------------------------------------------


def _from_row(row: CalendarSettingsRow) -> CalendarSettings:
    settings = calendar_settings(
        row.opens,
        row.closes,
        (int(day) for day in row.weekdays.split(",") if day),
        row.land,
        (_month_day_of(pair) for pair in row.recurring_closures.split(",") if pair),
        (date.fromisoformat(day) for day in row.closures.split(",") if day),
    )
    return replace(settings, revision=row.revision, updated_at=row.updated_at, updated_by=row.updated_by)


def _month_day_of(stored: str) -> tuple[int, int]:
    month, day = stored.split("-")
    return int(month), int(day)


def _write(row: CalendarSettingsRow, settings: CalendarSettings) -> None:
    row.opens = settings.opens
    row.closes = settings.closes
    row.weekdays = ",".join(str(day) for day in sorted(settings.weekdays))
    row.land = settings.land
    row.recurring_closures = ",".join(f"{month:02d}-{day:02d}" for month, day in settings.recurring_closures)
    row.closures = ",".join(day.isoformat() for day in settings.closures)


def read_calendar_settings(session: Session, defaults: CalendarSettings) -> CalendarSettings:
    """The stored settings, or ``defaults`` when an administrator has not saved any yet."""
    row = session.scalar(select(CalendarSettingsRow))
    return defaults if row is None else _from_row(row)


def current_calendar_settings(ctx: EngineContext) -> CalendarSettings:
    with ctx.unit_of_work(writes=False) as session:
        return read_calendar_settings(session, ctx.calendar_follower.defaults)


@dataclass(frozen=True)
class SavedCalendar:
    settings: CalendarSettings
    changed: tuple[str, ...]  # names of the settings that changed; empty if nothing did


def change_calendar_settings(
    ctx: EngineContext, actor: Actor, wanted: CalendarSettings, now: datetime | None = None
) -> SavedCalendar:
    """Store new calendar settings (administrators only), audited; this process follows at once.

    Raises NotPermitted or CalendarSettingsInvalid (nothing is stored then). Saving unchanged
    settings stores nothing and keeps the revision.
    """
    if ADMINISTRATION not in actor.groups:
        raise NotPermitted("change calendar settings")
    wanted = calendar_settings(
        wanted.opens, wanted.closes, wanted.weekdays, wanted.land, wanted.recurring_closures, wanted.closures
    )
    found = problems(wanted)
    if found:
        raise CalendarSettingsInvalid(found)
    now = now or ctx.clock.now()
    try:
        saved = _store(ctx, actor, wanted, now)
    except IntegrityError:  # another administrator stored the first row at the same moment
        saved = _store(ctx, actor, wanted, now)
    ctx.calendar_follower.adopt(saved.settings)
    return saved


def _store(ctx: EngineContext, actor: Actor, wanted: CalendarSettings, now: datetime) -> SavedCalendar:
    with ctx.unit_of_work() as session:
        row = session.scalar(select(CalendarSettingsRow).with_for_update())
        current = ctx.calendar_follower.defaults if row is None else _from_row(row)
        changed = current.differences(wanted)
        if not changed:
            return SavedCalendar(current, ())
        if row is None:
            row = CalendarSettingsRow(id=1, revision=0)
            session.add(row)
        _write(row, wanted)
        row.revision += 1
        row.updated_at = now
        row.updated_by = actor.username
        audit.record(session, now, actor.username, "calendar_changed", None, ",".join(changed))
        session.commit()
        return SavedCalendar(_from_row(row), changed)


# --- following a change in every process --------------------------------------------------------


@dataclass
class CalendarFollower:
    """Keeps one process's calendar on the stored settings, asking the database at most every
    ``interval`` seconds (monotonic time, so a test's manual clock does not matter)."""

    calendar: BusinessCalendar
    interval: float = CHECK_SECONDS
    monotonic: Callable[[], float] = monotonic_time.monotonic
    defaults: CalendarSettings = field(init=False)
    revision: int = field(init=False, default=0)
    _checked_at: float | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.defaults = settings_of(self.calendar)

    def follow(self, db: Engine) -> None:
        """Reload if the interval has passed and the stored revision changed; cheap otherwise."""
        checked = self._checked_at
        if checked is not None and self.monotonic() - checked < self.interval:
            return
        if self._lock.acquire(blocking=False):  # while another thread checks, this one goes on
            try:
                self._check(db)
            finally:
                self._lock.release()

    def reload(self, db: Engine) -> None:
        """Check the stored revision now (tests, or after a change made elsewhere)."""
        with self._lock:
            self._check(db)

    def adopt(self, settings: CalendarSettings) -> None:
        """Run on settings this process has just stored."""
        with self._lock:
            if settings.revision > self.revision:
                self._apply(settings)

    def _check(self, db: Engine) -> None:
        self._checked_at = self.monotonic()
        try:
            with Session(db) as session:
                stored = session.scalar(select(CalendarSettingsRow.revision)) or 0
                if stored != self.revision:
                    self._apply(read_calendar_settings(session, self.defaults))
        except (SQLAlchemyError, ValueError) as error:  # an older schema, no database, a bad row: go on
            log.warning("calendar settings not usable, keeping revision %s: %s", self.revision, error)

    def _apply(self, settings: CalendarSettings) -> None:
        apply_to(self.calendar, settings)
        self.revision = settings.revision
        log.info("calendar settings revision %s in use", settings.revision)


# --- what the administrator sees ----------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ClosedDay:
    day: date
    kind: str  # "holiday" or "closure"
    name: str  # the holiday's name in the asked language, empty for a closure day


def closed_days(
    settings: CalendarSettings, first_year: int, last_year: int, language: str = "de"
) -> list[ClosedDay]:
    """Public holidays of the Land and closure days from ``first_year`` to ``last_year``, by date."""
    calendar = settings.calendar()
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    found = calendar.holidays_between(start, end)
    names = (
        dict(found) if language == "de" else _holiday_names(settings.land, first_year, last_year, language)
    )
    days = [ClosedDay(day, "holiday", names.get(day, name)) for day, name in found]
    holiday_days = {day for day, _ in found}
    closures = {day for day in _closure_dates(settings, first_year, last_year) if day not in holiday_days}
    return sorted(days + [ClosedDay(day, "closure", "") for day in closures])


def _closure_dates(settings: CalendarSettings, first_year: int, last_year: int) -> Iterable[date]:
    years = range(first_year, last_year + 1)
    yield from (day for day in settings.closures if day.year in years)
    for year in years:
        yield from (
            date(year, month, day) for month, day in settings.recurring_closures if _is_day(year, month, day)
        )


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _holiday_names(land: str, first_year: int, last_year: int, language: str) -> dict[date, str]:
    found = holidays.country_holidays(
        "DE",
        subdiv=land,
        years=range(first_year, last_year + 1),
        language="en_US" if language == "en" else "de",
    )
    return dict(found.items())
