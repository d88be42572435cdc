"""Tests for the working-time calendar (office hours, holidays, closure days, deadlines)."""

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from engine.calendar import business_calendar
from engine.calendar.business_calendar import BERLIN, BusinessCalendar
from engine.calendar.deadline_functions import expression_helpers
from engine.calendar.office_hours import OfficeHours
from engine.calendar.working_time import NaiveDatetimeError

REPO_ROOT = Path(__file__).resolve().parents[2]


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware Europe/Berlin datetime from local wall-clock fields."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def offset_hours(moment: datetime) -> float:
    offset = moment.utcoffset()
    assert offset is not None
    return offset / timedelta(hours=1)


@pytest.fixture(scope="module")
def nw() -> BusinessCalendar:
    return BusinessCalendar()


@pytest.fixture(scope="module")
def be() -> BusinessCalendar:
    return BusinessCalendar(land="BE")


# --- construction ----------------------------------------------------------------------------------


def test_defaults() -> None:
    calendar = BusinessCalendar()
    assert calendar.land == "NW"
    assert calendar.tz is BERLIN
    assert calendar.hours == OfficeHours(time(9, 0), time(16, 0), frozenset({0, 1, 2, 3, 4}))


def test_land_code_is_normalised() -> None:
    assert BusinessCalendar(land=" be ").land == "BE"


def test_unknown_land_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown German Land"):
        BusinessCalendar(land="XX")


def test_impossible_recurring_closure_is_rejected() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(recurring_closures=[(2, 30)])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opens": time(16, 0), "closes": time(9, 0)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
    ],
)
def test_invalid_office_hours_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        OfficeHours(**kwargs)  # type: ignore[arg-type]


def test_module_does_not_import_flask_or_spiffworkflow() -> None:
    code = (
        "import sys, engine.calendar.business_calendar\n"
        "bad = [m for m in sys.modules if m.split('.')[0].lower() in {'flask', 'spiffworkflow'}]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- days ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 6, 6), "Samstag"),
        (date(2026, 6, 7), "Sonntag"),
        (date(2026, 6, 4), "Fronleichnam"),
        (date(2026, 4, 6), "Ostermontag"),
        (date(2026, 12, 24), "Schließtag"),
        (date(2026, 12, 25), "Erster Weihnachtstag"),
        (date(2026, 12, 26), "Zweiter Weihnachtstag"),  # a Saturday: the holiday name wins
        (date(2026, 12, 31), "Schließtag"),
        (date(2027, 1, 1), "Neujahr"),
        (date(2026, 6, 5), None),
    ],
)
def test_closure_reason(nw: BusinessCalendar, day: date, reason: str | None) -> None:
    assert nw.closure_reason(day) == reason
    assert nw.is_working_day(day) is (reason is None)


def test_fronleichnam_is_a_working_day_in_berlin(be: BusinessCalendar) -> None:
    assert be.is_working_day(date(2026, 6, 4))
    assert be.closure_reason(date(2026, 6, 4)) is None


def test_without_recurring_closures_christmas_eve_is_a_working_day() -> None:
    calendar = BusinessCalendar(recurring_closures=())
    assert date(2026, 12, 24).weekday() == 3
    assert calendar.is_working_day(date(2026, 12, 24))
    assert calendar.is_working_day(date(2026, 12, 31))


def test_specific_closure_dates() -> None:
    calendar = BusinessCalendar(closures=[date(2026, 6, 8)])
    assert calendar.closure_reason(date(2026, 6, 8)) == "Schließtag"
    assert calendar.is_working_day(date(2026, 6, 9))
    assert calendar.add_working_days(berlin(2026, 6, 5, 10), 1) == berlin(2026, 6, 9, 16)


def test_day_methods_refuse_datetimes(nw: BusinessCalendar) -> None:
    with pytest.raises(TypeError):
        nw.is_working_day(berlin(2026, 6, 5, 10))


def test_holidays_between_lists_public_holidays_sorted(nw: BusinessCalendar) -> None:
    assert nw.holidays_between(date(2026, 4, 1), date(2026, 6, 30)) == [
        (date(2026, 4, 3), "Karfreitag"),
        (date(2026, 4, 6), "Ostermontag"),
        (date(2026, 5, 1), "Erster Mai"),
        (date(2026, 5, 14), "Christi Himmelfahrt"),
        (date(2026, 5, 25), "Pfingstmontag"),
        (date(2026, 6, 4), "Fronleichnam"),
    ]


def test_holidays_between_spans_years_and_skips_closure_days(nw: BusinessCalendar) -> None:
    assert nw.holidays_between(date(2026, 12, 20), date(2027, 1, 6)) == [
        (date(2026, 12, 25), "Erster Weihnachtstag"),
        (date(2026, 12, 26), "Zweiter Weihnachtstag"),
        (date(2027, 1, 1), "Neujahr"),
    ]


def test_holidays_between_is_inclusive_and_land_specific(nw: BusinessCalendar, be: BusinessCalendar) -> None:
    assert nw.holidays_between(date(2026, 6, 4), date(2026, 6, 4)) == [(date(2026, 6, 4), "Fronleichnam")]
    assert be.holidays_between(date(2026, 6, 4), date(2026, 6, 4)) == []
    assert nw.holidays_between(date(2026, 7, 1), date(2026, 6, 1)) == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 6), date(2026, 6, 8)),  # Saturday -> Monday
        (date(2026, 6, 4), date(2026, 6, 5)),  # Fronleichnam -> Friday
        (date(2026, 4, 3), date(2026, 4, 7)),  # Karfreitag, weekend, Ostermontag -> Tuesday
        (date(2026, 12, 24), date(2026, 12, 28)),
        (date(2026, 12, 31), date(2027, 1, 4)),
        (date(2026, 6, 5), date(2026, 6, 5)),  # a working day is returned unchanged
    ],
)
def test_next_working_day(nw: BusinessCalendar, day: date, expected: date) -> None:
    assert nw.next_working_day(day) == expected


def test_next_working_day_on_fronleichnam_in_berlin(be: BusinessCalendar) -> None:
    assert be.next_working_day(date(2026, 6, 4)) == date(2026, 6, 4)


def test_holidays_are_computed_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    original = business_calendar.holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("years"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(business_calendar.holidays, "country_holidays", counting)
    calendar = BusinessCalendar()
    for _ in range(3):
        calendar.add_working_days(berlin(2026, 12, 30, 10), 5)
        calendar.is_working_day(date(2026, 6, 4))
    assert sorted(calls) == [2026, 2027]  # type: ignore[type-var]


# --- is_open ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (berlin(2026, 6, 8, 9, 0), True),
        (berlin(2026, 6, 8, 15, 59), True),
        (berlin(2026, 6, 8, 8, 59), False),
        (berlin(2026, 6, 8, 16, 0), False),
        (berlin(2026, 6, 6, 12, 0), False),  # Saturday
        (berlin(2026, 6, 4, 12, 0), False),  # Fronleichnam
        (datetime(2026, 6, 8, 7, 30, tzinfo=UTC), True),  # 09:30 in Berlin
    ],
)
def test_is_open(nw: BusinessCalendar, moment: datetime, expected: bool) -> None:
    assert nw.is_open(moment) is expected


# --- add_working_hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (berlin(2026, 6, 8, 10), 2, berlin(2026, 6, 8, 12)),  # within one day
        (berlin(2026, 6, 5, 14), 3, berlin(2026, 6, 8, 10)),  # across the weekend
        (berlin(2026, 6, 8, 7, 30), 2, berlin(2026, 6, 8, 11)),  # before opening
        (berlin(2026, 6, 8, 17), 2, berlin(2026, 6, 9, 11)),  # after closing
        (berlin(2026, 6, 8, 16), 2, berlin(2026, 6, 9, 11)),  # exactly at closing
        (berlin(2026, 6, 6, 12), 2, berlin(2026, 6, 8, 11)),  # Saturday
        (berlin(2026, 6, 8, 14), 2, berlin(2026, 6, 8, 16)),  # runs out at closing
        (berlin(2026, 6, 8, 9), 7, berlin(2026, 6, 8, 16)),  # one full office day
        (berlin(2026, 6, 8, 9), 14, berlin(2026, 6, 9, 16)),  # two full office days
        (berlin(2026, 6, 8, 15, 30), 1.25, berlin(2026, 6, 9, 9, 45)),  # fractional
        (berlin(2026, 6, 8, 10), 0.5, berlin(2026, 6, 8, 10, 30)),
        (berlin(2026, 6, 8, 10, 15), 0, berlin(2026, 6, 8, 10, 15)),
    ],
)
def test_add_working_hours(nw: BusinessCalendar, start: datetime, hours: float, expected: datetime) -> None:
    assert nw.add_working_hours(start, hours) == expected


def test_zero_hours_from_saturday_is_monday_opening(nw: BusinessCalendar) -> None:
    result = nw.add_working_hours(berlin(2026, 6, 6, 12), 0)
    assert result == berlin(2026, 6, 8, 9)
    assert result.tzinfo is BERLIN


def test_add_working_hours_across_fronleichnam(nw: BusinessCalendar, be: BusinessCalendar) -> None:
    start = berlin(2026, 6, 3, 15)
    assert nw.add_working_hours(start, 2) == berlin(2026, 6, 5, 10)
    assert be.add_working_hours(start, 2) == berlin(2026, 6, 4, 10)


def test_add_working_hours_across_easter(nw: BusinessCalendar) -> None:
    assert nw.add_working_hours(berlin(2026, 4, 2, 15), 2) == berlin(2026, 4, 7, 10)


def test_add_working_hours_across_christmas_and_new_year(nw: BusinessCalendar) -> None:
    assert nw.add_working_hours(berlin(2026, 12, 23, 15), 2) == berlin(2026, 12, 28, 10)
    assert nw.add_working_hours(berlin(2026, 12, 30, 15), 2) == berlin(2027, 1, 4, 10)


def test_add_working_hours_result_is_in_berlin_for_utc_input(nw: BusinessCalendar) -> None:
    result = nw.add_working_hours(datetime(2026, 6, 8, 7, 0, tzinfo=UTC), 1)  # 09:00 in Berlin
    assert result == berlin(2026, 6, 8, 10)
    assert result.tzinfo is BERLIN
    assert result.isoformat() == "2026-06-08T10:00:00+02:00"


def test_add_working_hours_across_spring_dst_change(nw: BusinessCalendar) -> None:
    start = berlin(2026, 3, 27, 15)
    result = nw.add_working_hours(start, 2)
    assert result.isoformat() == "2026-03-30T10:00:00+02:00"
    assert offset_hours(start) == 1
    assert offset_hours(result) == 2


def test_add_working_hours_across_autumn_dst_change(nw: BusinessCalendar) -> None:
    start = berlin(2026, 10, 23, 15)
    result = nw.add_working_hours(start, 2)
    assert result.isoformat() == "2026-10-26T10:00:00+01:00"
    assert offset_hours(start) == 2
    assert offset_hours(result) == 1


def test_add_working_hours_from_inside_the_dst_switch_weekend(nw: BusinessCalendar) -> None:
    # 2026-03-29 02:30 does not exist in Berlin; the moment given in UTC is 03:30 CEST on a Sunday.
    start = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert nw.add_working_hours(start, 1).isoformat() == "2026-03-30T10:00:00+02:00"


def test_negative_hours_are_rejected(nw: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        nw.add_working_hours(berlin(2026, 6, 8, 10), -1)


# --- add_working_days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (berlin(2026, 6, 5, 10), 1, berlin(2026, 6, 8, 16)),  # Friday -> Monday
        (berlin(2026, 6, 8, 10), 1, berlin(2026, 6, 9, 16)),
        (berlin(2026, 6, 8, 10), 5, berlin(2026, 6, 15, 16)),
        (berlin(2026, 6, 6, 12), 1, berlin(2026, 6, 8, 16)),  # Saturday
        (berlin(2026, 6, 3, 10), 1, berlin(2026, 6, 5, 16)),  # over Fronleichnam
        (berlin(2026, 4, 2, 10), 1, berlin(2026, 4, 7, 16)),  # over Karfreitag and Ostermontag
        (berlin(2026, 12, 23, 10), 1, berlin(2026, 12, 28, 16)),  # over 24.12 and Christmas
        (berlin(2026, 12, 30, 10), 1, berlin(2027, 1, 4, 16)),  # over 31.12 and Neujahr
        (berlin(2026, 6, 8, 10), 0, berlin(2026, 6, 8, 16)),
        (berlin(2026, 6, 8, 7), 0, berlin(2026, 6, 8, 16)),  # before opening
        (berlin(2026, 6, 8, 16), 0, berlin(2026, 6, 9, 16)),  # at closing
        (berlin(2026, 6, 6, 12), 0, berlin(2026, 6, 8, 16)),  # Saturday
    ],
)
def test_add_working_days(nw: BusinessCalendar, start: datetime, days: int, expected: datetime) -> None:
    result = nw.add_working_days(start, days)
    assert result == expected
    assert result.tzinfo is BERLIN


def test_add_working_days_over_fronleichnam_in_berlin(be: BusinessCalendar) -> None:
    assert be.add_working_days(berlin(2026, 6, 3, 10), 1) == berlin(2026, 6, 4, 16)


def test_add_working_days_without_recurring_closures() -> None:
    calendar = BusinessCalendar(recurring_closures=())
    assert calendar.add_working_days(berlin(2026, 12, 23, 10), 1) == berlin(2026, 12, 24, 16)
    assert calendar.add_working_days(berlin(2026, 12, 23, 10), 2) == berlin(2026, 12, 28, 16)
    assert calendar.add_working_days(berlin(2026, 12, 30, 10), 1) == berlin(2026, 12, 31, 16)


def test_add_working_days_across_dst_changes(nw: BusinessCalendar) -> None:
    assert nw.add_working_days(berlin(2026, 3, 27, 10), 1).isoformat() == "2026-03-30T16:00:00+02:00"
    assert nw.add_working_days(berlin(2026, 10, 23, 10), 1).isoformat() == "2026-10-26T16:00:00+01:00"


def test_add_working_days_uses_the_local_date(nw: BusinessCalendar) -> None:
    # 22:30 UTC on Sunday is already Monday 00:30 in Berlin.
    assert nw.add_working_days(datetime(2026, 6, 7, 22, 30, tzinfo=UTC), 0) == berlin(2026, 6, 8, 16)


def test_negative_days_are_rejected(nw: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        nw.add_working_days(berlin(2026, 6, 8, 10), -1)


def test_fractional_days_are_rejected(nw: BusinessCalendar) -> None:
    with pytest.raises(TypeError):
        nw.add_working_days(berlin(2026, 6, 8, 10), 1.5)  # type: ignore[arg-type]


# --- working_hours_between -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (berlin(2026, 6, 8, 9), berlin(2026, 6, 8, 16), 7.0),
        (berlin(2026, 6, 8, 7), berlin(2026, 6, 8, 18), 7.0),
        (berlin(2026, 6, 5, 14), berlin(2026, 6, 8, 11), 4.0),  # across the weekend
        (berlin(2026, 6, 6, 10), berlin(2026, 6, 7, 18), 0.0),  # weekend only
        (berlin(2026, 6, 3, 15), berlin(2026, 6, 5, 10), 2.0),  # across Fronleichnam
        (berlin(2026, 6, 8, 10), berlin(2026, 6, 8, 10, 45), 0.75),
        (berlin(2026, 3, 27, 15), berlin(2026, 3, 30, 10), 2.0),  # across the DST change
        (berlin(2026, 6, 8, 11), berlin(2026, 6, 5, 14), -4.0),  # end before start
    ],
)
def test_working_hours_between(nw: BusinessCalendar, start: datetime, end: datetime, expected: float) -> None:
    assert nw.working_hours_between(start, end) == pytest.approx(expected)


def test_working_hours_between_in_berlin_counts_fronleichnam(be: BusinessCalendar) -> None:
    assert be.working_hours_between(berlin(2026, 6, 3, 15), berlin(2026, 6, 5, 10)) == pytest.approx(9.0)


@pytest.mark.parametrize("hours", [0, 0.5, 3, 7, 13.25, 40])
@pytest.mark.parametrize("start", [berlin(2026, 6, 3, 15), berlin(2026, 12, 22, 11), berlin(2026, 10, 23, 9)])
def test_working_hours_between_inverts_add_working_hours(
    nw: BusinessCalendar, start: datetime, hours: float
) -> None:
    assert nw.working_hours_between(start, nw.add_working_hours(start, hours)) == pytest.approx(hours)


# --- naive datetimes -------------------------------------------------------------------------------

NAIVE = datetime(2026, 6, 8, 10, 0)
AWARE = berlin(2026, 6, 8, 10)

NAIVE_CALLS: dict[str, Callable[[BusinessCalendar], object]] = {
    "add_working_hours": lambda c: c.add_working_hours(NAIVE, 1),
    "add_working_days": lambda c: c.add_working_days(NAIVE, 1),
    "working_hours_between start": lambda c: c.working_hours_between(NAIVE, AWARE),
    "working_hours_between end": lambda c: c.working_hours_between(AWARE, NAIVE),
    "is_open": lambda c: c.is_open(NAIVE),
}


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_naive_datetime_is_rejected(nw: BusinessCalendar, call: Callable[[BusinessCalendar], object]) -> None:
    with pytest.raises(NaiveDatetimeError, match="timezone-aware datetime is required"):
        call(nw)


def test_naive_datetime_error_is_a_value_error() -> None:
    assert issubclass(NaiveDatetimeError, ValueError)


# --- expression helpers ----------------------------------------------------------------------------

FRIDAY_MORNING = berlin(2026, 6, 5, 10)


def helpers_at(moment: datetime, calendar: BusinessCalendar | None = None) -> dict[str, Callable[..., str]]:
    return expression_helpers(calendar or BusinessCalendar(), lambda: moment)


def test_expression_helper_names() -> None:
    assert set(helpers_at(FRIDAY_MORNING)) == {
        "frist",
        "arbeitstage",
        "arbeitsstunden",
        "kalenderstunden",
        "kalendertage",
        "tagesende",
        "jetzt",
    }


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("arbeitstage", (1,), "2026-06-08T16:00:00+02:00"),
        ("arbeitstage", (0,), "2026-06-05T16:00:00+02:00"),
        ("arbeitsstunden", (7,), "2026-06-08T10:00:00+02:00"),
        ("arbeitsstunden", (1.5,), "2026-06-05T11:30:00+02:00"),
        ("kalenderstunden", (24,), "2026-06-06T10:00:00+02:00"),
        ("kalendertage", (3,), "2026-06-08T10:00:00+02:00"),
        ("tagesende", (), "2026-06-05T23:59:59+02:00"),
        ("jetzt", (), "2026-06-05T10:00:00+02:00"),
    ],
)
def test_expression_helpers_return_iso_strings_with_offset(
    name: str, args: tuple[float, ...], expected: str
) -> None:
    value = helpers_at(FRIDAY_MORNING)[name](*args)
    assert value == expected
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(hours=2)


def test_expression_helpers_convert_utc_now_to_berlin() -> None:
    helpers = helpers_at(datetime(2026, 6, 7, 22, 30, tzinfo=UTC))  # Sunday in UTC, Monday 00:30 in Berlin
    assert helpers["jetzt"]() == "2026-06-08T00:30:00+02:00"
    assert helpers["tagesende"]() == "2026-06-08T23:59:59+02:00"
    assert helpers["arbeitstage"](1) == "2026-06-09T16:00:00+02:00"


def test_expression_helpers_across_dst_change() -> None:
    helpers = helpers_at(berlin(2026, 3, 28, 12))  # Saturday before the spring change
    assert helpers["kalenderstunden"](24) == "2026-03-29T13:00:00+02:00"
    assert helpers["kalendertage"](1) == "2026-03-29T12:00:00+02:00"
    assert helpers["arbeitsstunden"](0) == "2026-03-30T09:00:00+02:00"


def test_expression_helpers_use_the_calendar_land() -> None:
    wednesday = berlin(2026, 6, 3, 10)
    assert helpers_at(wednesday, BusinessCalendar(land="NW"))["arbeitstage"](1) == "2026-06-05T16:00:00+02:00"
    assert helpers_at(wednesday, BusinessCalendar(land="BE"))["arbeitstage"](1) == "2026-06-04T16:00:00+02:00"


def test_expression_helpers_reject_naive_now() -> None:
    helpers = helpers_at(NAIVE)
    for name in ("arbeitstage", "arbeitsstunden", "kalenderstunden", "kalendertage"):
        with pytest.raises(NaiveDatetimeError):
            helpers[name](1)
    for name in ("tagesende", "jetzt"):
        with pytest.raises(NaiveDatetimeError):
            helpers[name]()


def test_expression_helpers_evaluate_now_on_each_call() -> None:
    moments = iter([berlin(2026, 6, 5, 10), berlin(2026, 6, 8, 10)])
    helpers = expression_helpers(BusinessCalendar(), lambda: next(moments))
    assert helpers["jetzt"]() == "2026-06-05T10:00:00+02:00"
    assert helpers["jetzt"]() == "2026-06-08T10:00:00+02:00"


def test_expression_helpers_reject_negative_amounts() -> None:
    helpers = helpers_at(FRIDAY_MORNING)
    for name in ("arbeitstage", "arbeitsstunden", "kalenderstunden", "kalendertage"):
        with pytest.raises(ValueError):
            helpers[name](-1)


def test_frist_takes_the_unit_from_a_decision_table_and_counts_from_now_or_a_given_instant() -> None:
    helpers = helpers_at(FRIDAY_MORNING)
    assert helpers["frist"](1, "arbeitstage") == helpers["arbeitstage"](1)
    assert helpers["frist"](2, "arbeitsstunden") == helpers["arbeitsstunden"](2)
    assert helpers["frist"](1, "kalenderstunden") == helpers["kalenderstunden"](1)
    due = helpers["arbeitstage"](1)
    # two office hours after a due time at closing time: the next working day, 11:00
    later = datetime.fromisoformat(helpers["frist"](2, "arbeitsstunden", due))
    assert later - datetime.fromisoformat(due) > timedelta(hours=2)
    assert later.astimezone(BERLIN).hour == 11
    with pytest.raises(ValueError, match="unknown unit"):
        helpers["frist"](1, "wochen")
