"""Callbacks and appointments: agree one on the case page, the day agenda /termine, done or moved."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.calendar.business_calendar import BERLIN
from engine.cases.appointments import (
    CHANNELS,
    KINDS,
    AppointmentInvalid,
    agenda,
    agree_appointment,
    case_appointments,
    complete_appointment,
    read_appointment,
    reschedule_appointment,
)
from web.auth import requires_role
from web.case_presence import known_empty
from web.i18n import language
from web.task_counts import shared_counts

blueprint = Blueprint("appointments", __name__)
COUNSELS = ("beratung", "teamleitung")


def _context():
    return current_app.extensions["lotse"]


def _labels(table: dict[str, tuple[str, str]]) -> dict[str, str]:
    index = 0 if language() == "de" else 1
    return {code: names[index] for code, names in table.items()}


@blueprint.app_template_global()
def open_appointments(case_id: int) -> list:
    """The case page's open callbacks and appointments (``cases/_appointments.html``)."""
    if known_empty(case_id, "appointments"):
        return []
    return case_appointments(_context(), current_user.actor, case_id)


@blueprint.app_template_global()
def appointment_labels() -> dict[str, dict[str, str]]:
    return {"kinds": _labels(KINDS), "channels": _labels(CHANNELS)}


def _when(day: str | None, clock: str | None) -> datetime | None:
    """Berlin date and time fields as one instant; None if either is missing or malformed."""
    try:
        return datetime.combine(date.fromisoformat(day or ""), time.fromisoformat(clock or ""), BERLIN)
    except ValueError:
        return None


@blueprint.post("/faelle/<int:case_id>/termine")
@requires_role(*COUNSELS)
def agree(case_id: int) -> str | Response | tuple[str, int]:
    form = request.form
    try:
        agree_appointment(
            _context(),
            current_user.actor,
            case_id,
            form.get("art", ""),
            form.get("kanal", ""),
            _when(form.get("datum"), form.get("uhrzeit")),
            form.get("notiz", ""),
        )
    except AppointmentInvalid as refused:
        errors = {refused.field: refused.message(language())}
        return render_template("appointments/new.html", case_id=case_id, form=form, errors=errors), 422
    shared_counts().clear()
    flash(gettext("Vereinbart: Es steht in Ihren Aufgaben und in der Agenda."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#termine")


@blueprint.get("/termine")
@requires_role(*COUNSELS)
def day_agenda() -> str:
    context, actor = _context(), current_user.actor
    today = context.clock.now().astimezone(BERLIN).date()
    try:
        day = date.fromisoformat(request.args.get("tag", ""))
    except ValueError:
        day = today
    scope = "team" if request.args.get("wer") == "team" else "mine"
    monday = day - timedelta(days=day.weekday())
    return render_template(
        "appointments/agenda.html",
        day=day,
        today=today,
        scope=scope,
        on_day=agenda(context, actor, day, 1, scope),
        week=agenda(context, actor, monday, 7, scope),
        monday=monday,
    )


@blueprint.get("/termine/<int:appointment_id>")
@requires_role(*COUNSELS)
def appointment_page(appointment_id: int) -> str:
    entry = read_appointment(_context(), current_user.actor, appointment_id)
    return render_template("appointments/appointment.html", entry=entry, errors={}, form={})


@blueprint.post("/termine/<int:appointment_id>/erledigt")
@requires_role(*COUNSELS)
def done(appointment_id: int) -> Response:
    try:
        complete_appointment(_context(), current_user.actor, appointment_id)
    except AppointmentInvalid as refused:
        flash(refused.message(language()), "error")
    else:
        shared_counts().clear()
        flash(gettext("Als erledigt vermerkt."), "success")
    return redirect(url_for("appointments.day_agenda"))


@blueprint.post("/termine/<int:appointment_id>/verschieben")
@requires_role(*COUNSELS)
def move(appointment_id: int) -> str | Response | tuple[str, int]:
    context, actor = _context(), current_user.actor
    form = request.form
    try:
        reschedule_appointment(context, actor, appointment_id, _when(form.get("datum"), form.get("uhrzeit")))
    except AppointmentInvalid as refused:
        entry = read_appointment(context, actor, appointment_id)
        errors = {refused.field: refused.message(language())}
        return render_template("appointments/appointment.html", entry=entry, errors=errors, form=form), 422
    shared_counts().clear()
    flash(gettext("Verschoben."), "success")
    return redirect(url_for("appointments.day_agenda"))
