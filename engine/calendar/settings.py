"""Calendar settings kept by administrators: what may be set, the stored row and its revision.

The settings live in one row (table ``calendar_settings``). Without that row the calendar a process
was started with applies: the Land from ``LOTSE_LAND`` (default NW), 09:00-16:00 Monday to Friday,
closed on 24 and 31 December. Each change raises the row's revision; how every process follows it is
``settings_follower``, the administrator's form is ``settings_form``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
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

ADMINISTRATION = "administration"
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
MAX_RECURRING_CLOSURES = 50
MAX_CLOSURES = 366
# Wall-clock arithmetic is only exact when office hours stay clear of the DST switch hour.
_SWITCH_HOUR = (time(2, 0), time(3, 0))

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
        if not is_month_day(month, day):
            return {"recurring_closures": bad_month_day(f"{day:02d}.{month:02d}.")}
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


def is_month_day(month: int, day: int) -> bool:
    try:
        date(2000, month, day)  # a leap year: 29 February is allowed
    except ValueError:
        return False
    return True


def bad_month_day(entry: str) -> tuple[str, str]:
    return (
        f"Jährliche Schließtage: „{entry}“ ist kein gültiger Tag (Format TT.MM., z. B. 24.12.).",
        f"Yearly closure days: “{entry}” is not a valid day (format DD.MM., e.g. 24.12.).",
    )


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
