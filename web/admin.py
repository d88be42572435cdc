"""Administration: the calendar settings (office hours, Land for holidays, closure days) and the
e-mails given up on (dead letters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext, lazy_gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.calendar.business_calendar import BERLIN
from engine.calendar.closed_days import closed_days
from engine.calendar.laender import land_names
from engine.calendar.settings import CalendarSettings, change_calendar_settings, current_calendar_settings
from engine.calendar.settings_form import dates_text, month_day_text, parse_calendar_form
from engine.cases.risk_lowering import change_four_eyes_for_lowering, four_eyes_for_lowering
from engine.kernel.errors import CalendarSettingsInvalid
from engine.kernel.outbox import MAX_ATTEMPTS, dead_letters
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("admin", __name__)

TEXT_FIELDS = ("opens", "closes", "land", "recurring_closures", "closures")


@dataclass(frozen=True)
class ListedDay:
    date: str
    weekday: str
    name: str
    closure: bool


def _context():
    return current_app.extensions["lotse"]


@blueprint.route("/verwaltung/kalender", methods=["GET", "POST"])
@requires_role("administration")
def calendar_settings() -> str | tuple[str, int] | Response:
    context = _context()
    stored = current_calendar_settings(context)
    if request.method == "GET":
        return _page(stored, _form_values(stored), {})
    typed = _typed()
    try:
        wanted = parse_calendar_form(**typed)
        saved = change_calendar_settings(context, current_user.actor, wanted)
    except CalendarSettingsInvalid as invalid:
        errors = {name: messages[0 if language() == "de" else 1] for name, messages in invalid.errors.items()}
        flash(gettext("Bitte prüfen Sie die markierten Felder. Es wurde nichts gespeichert."), "error")
        return _page(stored, typed, errors), 422
    if saved.changed:
        flash(
            gettext("Kalendereinstellungen gespeichert. Neue Fristen werden ab jetzt damit berechnet."),
            "success",
        )
    else:
        flash(gettext("Keine Änderung – die Kalendereinstellungen waren bereits so gespeichert."), "info")
    return redirect(url_for("admin.calendar_settings"))


def _typed() -> dict[str, Any]:
    """What was submitted, as typed: kept for the form when something is wrong."""
    typed: dict[str, Any] = {name: request.form.get(name, "") for name in TEXT_FIELDS}
    typed["weekdays"] = request.form.getlist("weekdays")
    return typed


def _form_values(settings: CalendarSettings) -> dict[str, Any]:
    return {
        "opens": settings.opens.strftime("%H:%M"),
        "closes": settings.closes.strftime("%H:%M"),
        "weekdays": [str(day) for day in sorted(settings.weekdays)],
        "land": settings.land,
        "recurring_closures": month_day_text(settings.recurring_closures),
        "closures": dates_text(settings.closures),
    }


def _page(stored: CalendarSettings, values: dict[str, Any], errors: dict[str, str]) -> str:
    year = _context().clock.now().astimezone(BERLIN).year
    lands = land_names(language())
    return render_template(
        "admin/calendar.html",
        stored=stored,
        values=values,
        errors=errors,
        lands=lands,
        land_name=dict(lands).get(stored.land, stored.land),
        weekdays=_weekdays(),
        years={year: _listed(stored, year), year + 1: _listed(stored, year + 1)},
        four_eyes_lowering=_four_eyes(),
    )


def _four_eyes() -> bool:
    with _context().unit_of_work(writes=False) as session:
        return four_eyes_for_lowering(session)


@blueprint.post("/verwaltung/vier-augen")
@requires_role("administration")
def four_eyes_setting() -> Response:
    """The service's four-eyes rule for lowering a risk level, kept beside the calendar."""
    on = request.form.get("four_eyes_lowering") == "ja"
    if change_four_eyes_for_lowering(_context(), current_user.actor, on):
        flash(gettext("Vier-Augen-Einstellung gespeichert."), "success")
    else:
        flash(gettext("Keine Änderung – die Vier-Augen-Einstellung war bereits so gespeichert."), "info")
    return redirect(url_for("admin.calendar_settings") + "#four-eyes")


def _weekdays() -> list[tuple[int, str]]:
    """Monday to Sunday (Monday=0) in the person's language."""
    names = get_day_names("wide", locale=get_locale())
    return [(day, names[day]) for day in range(7)]


def _listed(settings: CalendarSettings, year: int) -> list[ListedDay]:
    return [
        ListedDay(
            format_date(closed.day, "dd.MM.yyyy"),
            format_date(closed.day, "EEEE"),
            closed.name if closed.kind == "holiday" else gettext("Schließtag"),
            closed.kind == "closure",
        )
        for closed in closed_days(settings, year, year, language())
    ]


MESSAGE_KINDS = {
    "antwort": lazy_gettext("Antwort an die Person"),
    "reminder": lazy_gettext("Erinnerung"),
    "escalation": lazy_gettext("Eskalation"),
    "digest": lazy_gettext("Tagesübersicht"),
    "account": lazy_gettext("Konto"),
}


@blueprint.get("/verwaltung/postausgang")
@requires_role("administration")
def dead_letter_list() -> str:
    """E-mails that could not be delivered after every attempt: to whom, when, why (never the text)."""
    return render_template(
        "admin/dead_letters.html",
        letters=dead_letters(_context()),
        kinds=MESSAGE_KINDS,
        attempts=MAX_ATTEMPTS,
    )
