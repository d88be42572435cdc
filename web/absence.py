"""Absence and cover (``/konto/abwesenheit``): a person records their own absence, a team lead anyone's;
the rules are in ``engine.staff.absence``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.kernel.errors import DomainError
from engine.staff.absence import current_absences, end_absence, set_absence
from engine.staff.roster import staff_list
from web.i18n import language

blueprint = Blueprint("absence", __name__)


def _context():
    return current_app.extensions["lotse"]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@blueprint.route("/konto/abwesenheit", methods=["GET", "POST"])
@login_required
def absences() -> str | Response | tuple[str, int]:
    actor = current_user.actor
    values: dict[str, Any] = {
        name: request.form.get(name, "") for name in ("person", "cover", "first_day", "last_day")
    }
    if request.method == "GET":
        return _page(values, {})
    person = values["person"] if actor.is_team_lead and values["person"] else actor.username
    first, last = _day(values["first_day"]), _day(values["last_day"])
    errors = {}
    if first is None:
        errors["first_day"] = gettext("Bitte geben Sie den ersten Tag als Datum an.")
    if last is None:
        errors["last_day"] = gettext("Bitte geben Sie den letzten Tag als Datum an.")
    if not values["cover"]:
        errors["cover"] = gettext("Bitte wählen Sie eine Vertretung.")
    if errors or first is None or last is None:
        return _page(values, errors), 422
    try:
        set_absence(_context(), actor, person, values["cover"], first, last)
    except DomainError as refused:
        return _page(values, {"form": refused.message(language())}), 422
    flash(gettext("Die Abwesenheit ist eingetragen."), "success")
    return redirect(url_for("absence.absences"))


def _page(values: dict[str, Any], errors: dict[str, str]) -> str:
    actor = current_user.actor
    people = [(row.username, row.display_name) for row in staff_list(_context()) if row.active]
    listed = [
        row
        for row in current_absences(_context())
        if actor.is_team_lead or actor.username in (row.username, row.cover)
    ]
    return render_template(
        "account/absence.html",
        people=people,
        absences=listed,
        values=values,
        errors=errors,
        is_team_lead=actor.is_team_lead,
        me=actor.username,
    )


@blueprint.post("/konto/abwesenheit/<int:absence_id>/beenden")
@login_required
def end(absence_id: int) -> Response:
    try:
        end_absence(_context(), current_user.actor, absence_id)
    except DomainError as refused:
        flash(refused.message(language()), "error")
        return redirect(url_for("absence.absences"))
    flash(gettext("Die Abwesenheit ist beendet."), "success")
    return redirect(url_for("absence.absences"))
