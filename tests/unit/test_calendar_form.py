"""Calendar settings without a database: reading the administrator's form, validation, reconfiguring in place."""

from __future__ import annotations

import threading
from datetime import date, datetime, time

import pytest

from engine.calendar.business_calendar import BERLIN, BusinessCalendar
from engine.calendar.closed_days import closed_days
from engine.calendar.deadline_functions import expression_helpers
from engine.calendar.office_hours import OfficeHours
from engine.calendar.settings import CalendarSettings, calendar_settings, problems, settings_of
from engine.calendar.settings_form import dates_text, month_day_text, parse_calendar_form
from engine.kernel.errors import CalendarSettingsInvalid

DEFAULT_FORM = {
    "opens": "09:00",
    "closes": "16:00",
    "weekdays": ["0", "1", "2", "3", "4"],
    "land": "NW",
    "recurring_closures": "24.12.\n31.12.",
    "closures": "",
}


def form(**changes: object) -> dict[str, object]:
    return {**DEFAULT_FORM, **changes}


def errors_of(**changes: object) -> dict[str, tuple[str, str]]:
    with pytest.raises(CalendarSettingsInvalid) as refused:
        parse_calendar_form(**form(**changes))  # type: ignore[arg-type]
    return refused.value.errors


# --- the form -----------------------------------------------------------------------------------


def test_the_default_form_reads_as_todays_calendar() -> None:
    assert parse_calendar_form(**DEFAULT_FORM) == settings_of(BusinessCalendar())  # type: ignore[arg-type]


def test_form_values_are_read_in_either_date_format_and_sorted_without_duplicates() -> None:
    parsed = parse_calendar_form(
        **form(
            opens="08:30",
            closes="17:15",
            weekdays=["5", "0"],
            land=" by ",
            recurring_closures="31.12.\n24.12, 24.12.;29.02.",
            closures="28.12.2026\n2026-12-28\r\n2027-01-04\n\n",
        )  # type: ignore[arg-type]
    )
    assert parsed.opens == time(8, 30) and parsed.closes == time(17, 15)
    assert parsed.weekdays == frozenset({0, 5}) and parsed.land == "BY"
    assert parsed.recurring_closures == ((2, 29), (12, 24), (12, 31))
    assert parsed.closures == (date(2026, 12, 28), date(2027, 1, 4))


def test_form_text_round_trips() -> None:
    settings = calendar_settings(
        time(9), time(16), {0}, "NW", [(12, 24), (1, 2)], [date(2026, 12, 28), date(2027, 1, 4)]
    )
    again = parse_calendar_form(
        "09:00",
        "16:00",
        ["0"],
        "NW",
        month_day_text(settings.recurring_closures),
        dates_text(settings.closures),
    )
    assert again == settings
    assert month_day_text(settings.recurring_closures) == "02.01.\n24.12."


@pytest.mark.parametrize(
    ("changes", "field", "named"),
    [
        ({"opens": "neun"}, "opens", "Öffnungszeit"),
        ({"opens": ""}, "opens", "Öffnungszeit"),
        ({"closes": "25:00"}, "closes", "Schließzeit"),
        ({"opens": "16:00", "closes": "09:00"}, "closes", "Schließzeit"),
        ({"opens": "12:00", "closes": "12:00"}, "closes", "Schließzeit"),
        ({"opens": "09:00:30"}, "opens", "Öffnungszeit"),
        ({"opens": "01:00", "closes": "08:00"}, "opens", "Zeitumstellung"),
        ({"weekdays": []}, "weekdays", "Öffnungstage"),
        ({"weekdays": ["7"]}, "weekdays", "Öffnungstage"),
        ({"weekdays": ["mo"]}, "weekdays", "Öffnungstage"),
        ({"land": "XX"}, "land", "Bundesland"),
        ({"land": ""}, "land", "Bundesland"),
        ({"recurring_closures": "30.02."}, "recurring_closures", "30.02."),
        ({"recurring_closures": "24.12.2026"}, "recurring_closures", "Jährliche Schließtage"),
        ({"recurring_closures": "\n".join(f"{d}.1." for d in range(1, 32)) + "\n" + "\n".join(f"{d}.2." for d in range(1, 29))}, "recurring_closures", "höchstens"),
        ({"closures": "2026-13-01"}, "closures", "2026-13-01"),
        ({"closures": "31.02.2026"}, "closures", "Einzelne Schließtage"),
        ({"closures": "morgen"}, "closures", "morgen"),
        ({"closures": "1999-12-31"}, "closures", "zwischen 2000 und 2099"),
    ],
)  # fmt: skip
def test_each_bad_setting_is_named(changes: dict[str, object], field: str, named: str) -> None:
    errors = errors_of(**changes)
    assert list(errors) == [field]
    german, english = errors[field]
    assert named in german and english


def test_all_bad_settings_are_reported_at_once() -> None:
    with pytest.raises(CalendarSettingsInvalid) as refused:
        parse_calendar_form(**form(opens="x", weekdays=[], land="XX", closures="nie"))  # type: ignore[arg-type]
    assert set(refused.value.errors) == {"opens", "weekdays", "land", "closures"}
    assert "Öffnungszeit" in refused.value.message("de") and "Bundesland" in refused.value.message("de")
    assert "Opening time" in refused.value.message("en") and refused.value.facts["fields"]


def test_typed_settings_are_checked_as_well() -> None:
    good = settings_of(BusinessCalendar())
    assert problems(good) == {}
    bad = CalendarSettings(time(10), time(9), frozenset(), "XX", ((2, 30),), (date(1999, 1, 1),))
    assert set(problems(bad)) == {"closes", "weekdays", "land", "recurring_closures", "closures"}


def test_differences_name_only_the_changed_settings() -> None:
    before = settings_of(BusinessCalendar())
    after = calendar_settings(time(9), time(15), {0, 1, 2, 3, 4}, "BE", [(12, 24), (12, 31)], [])
    assert before.differences(after) == ("closes", "land")
    assert before.differences(before) == ()


# --- the calendar follows a reconfiguration ----------------------------------------------------


def test_reconfigure_changes_the_calendar_in_place_for_expression_helpers() -> None:
    calendar = BusinessCalendar()
    wednesday = datetime(2026, 6, 3, 10, tzinfo=BERLIN)
    arbeitstage = expression_helpers(calendar, lambda: wednesday)["arbeitstage"]
    assert arbeitstage(1) == "2026-06-05T16:00:00+02:00"  # Thursday is Fronleichnam in NW
    calendar.reconfigure(land="BE")
    assert arbeitstage(1) == "2026-06-04T16:00:00+02:00"
    calendar.reconfigure(hours=OfficeHours(time(8), time(18), frozenset({0, 1, 2, 3, 4})))
    assert arbeitstage(1) == "2026-06-04T18:00:00+02:00" and calendar.land == "BE"
    calendar.reconfigure(closures=[date(2026, 6, 4)])
    assert arbeitstage(1) == "2026-06-05T18:00:00+02:00"
    assert calendar.closure_reason(date(2026, 6, 4)) == "Schließtag"


def test_a_rejected_reconfiguration_changes_nothing() -> None:
    calendar = BusinessCalendar(land="BE")
    with pytest.raises(ValueError):
        calendar.reconfigure(land="NW", recurring_closures=[(2, 30)])
    with pytest.raises(ValueError):
        calendar.reconfigure(land="XX")
    assert settings_of(calendar) == settings_of(BusinessCalendar(land="BE"))


def test_computations_never_mix_two_configurations() -> None:
    """Readers racing a writer see either the old or the new calendar, never a blend of both."""
    calendar = BusinessCalendar()
    start = datetime(2026, 6, 1, 10, tzinfo=BERLIN)
    short = OfficeHours(time(9), time(12), frozenset({0, 1, 2, 3, 4}))
    expected = {
        calendar.add_working_hours(start, 30),
        BusinessCalendar(hours=short, closures=[date(2026, 6, 2)]).add_working_hours(start, 30),
    }
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            calendar.reconfigure(hours=short, closures=[date(2026, 6, 2)])
            calendar.reconfigure(hours=OfficeHours(), closures=[])

    writer = threading.Thread(target=flip)
    writer.start()
    try:
        seen = {calendar.add_working_hours(start, 30) for _ in range(300)}
    finally:
        stop.set()
        writer.join()
    assert seen <= expected


# --- the list of closed days ---------------------------------------------------------------------


def test_closed_days_list_holidays_and_closure_days_by_date() -> None:
    settings = calendar_settings(
        time(9), time(16), range(5), "NW", [(12, 24), (12, 31), (12, 25)], [date(2026, 5, 15)]
    )
    listed = closed_days(settings, 2026, 2026)
    assert [day.day for day in listed] == sorted(day.day for day in listed)
    by_day = {day.day: day for day in listed}
    assert by_day[date(2026, 6, 4)].name == "Fronleichnam" and by_day[date(2026, 6, 4)].kind == "holiday"
    assert by_day[date(2026, 12, 24)].kind == "closure" and by_day[date(2026, 5, 15)].kind == "closure"
    assert by_day[date(2026, 12, 25)].kind == "holiday"  # a holiday anyway: listed once, as the holiday
    assert all(day.day.year == 2026 for day in listed)
    assert closed_days(settings, 2026, 2026, "en")[0].name == "New Year's Day"
