"""Administration of the staff (``/verwaltung/mitarbeitende``): the list, invitations, roles, the second
factor's reset, ending sessions, deactivation (with what happens to claimed tasks, shown before) and
reactivation. The rules are in ``engine.staff.roster``; this module is the URL table."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.kernel.errors import DomainError
from engine.staff import roster
from engine.staff.accounts import ROLES
from engine.staff.second_factor import reset_second_factor
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("staff_admin", __name__)
INVITE_FIELDS = ("username", "display_name", "email")


def _context():
    return current_app.extensions["lotse"]


def _person(username: str) -> roster.StaffRow:
    found = [row for row in roster.staff_list(_context()) if row.username == username]
    if not found:
        abort(404)
    return found[0]


@blueprint.route("/verwaltung/mitarbeitende", methods=["GET", "POST"])
@requires_role("administration")
def staff_list() -> str | Response | tuple[str, int]:
    values: dict[str, Any] = {name: request.form.get(name, "").strip() for name in INVITE_FIELDS}
    values["roles"] = request.form.getlist("roles")
    if request.method == "GET":
        return _list_page(values, None)
    try:
        roster.invite_staff(
            _context(),
            current_user.member.username,
            values["username"],
            values["display_name"],
            values["email"],
            values["roles"],
            current_app.config["LOTSE_BASE_URL"],
        )
    except DomainError as refused:
        return _list_page(values, refused.message(language())), 422
    flash(
        gettext(
            "%(name)s ist eingeladen. Die Einladung geht per E-Mail an %(email)s; der Link gilt drei Tage.",
            name=values["display_name"],
            email=values["email"],
        ),
        "success",
    )
    return redirect(url_for("staff_admin.staff_list"))


def _list_page(values: dict[str, Any], error: str | None) -> str:
    return render_template(
        "admin/staff_list.html",
        people=roster.staff_list(_context()),
        all_roles=ROLES,
        values=values,
        error=error,
    )


@blueprint.route("/verwaltung/mitarbeitende/<username>", methods=["GET", "POST"])
@requires_role("administration")
def person(username: str) -> str | Response | tuple[str, int]:
    row = _person(username)
    if request.method == "GET":
        return render_template("admin/staff_person.html", person=row, all_roles=ROLES, error=None)
    try:
        roster.set_roles(_context(), current_user.member.username, username, request.form.getlist("roles"))
    except DomainError as refused:
        page = render_template(
            "admin/staff_person.html", person=row, all_roles=ROLES, error=refused.message(language())
        )
        return page, 422
    flash(gettext("Die Rollen von %(name)s sind gespeichert.", name=row.display_name), "success")
    return redirect(url_for("staff_admin.person", username=username))


@blueprint.post("/verwaltung/mitarbeitende/<username>/zweiter-faktor")
@requires_role("administration")
def reset_factor(username: str) -> Response:
    row = _person(username)
    reset_second_factor(_context(), current_user.member.username, username)
    flash(
        gettext(
            "Der zweite Faktor von %(name)s ist zurückgesetzt; alle Sitzungen sind beendet. "
            "%(name)s richtet ihn bei der nächsten Anmeldung neu ein und wird per E-Mail informiert.",
            name=row.display_name,
        ),
        "success",
    )
    return redirect(url_for("staff_admin.person", username=username))


@blueprint.post("/verwaltung/mitarbeitende/<username>/sitzungen")
@requires_role("administration")
def end_sessions(username: str) -> Response:
    row = _person(username)
    ended = roster.end_all_sessions(_context(), current_user.member.username, username)
    flash(
        gettext("%(count)s Sitzung(en) von %(name)s beendet.", count=ended, name=row.display_name), "success"
    )
    return redirect(url_for("staff_admin.person", username=username))


@blueprint.route("/verwaltung/mitarbeitende/<username>/deaktivieren", methods=["GET", "POST"])
@requires_role("administration")
def deactivate(username: str) -> str | Response | tuple[str, int]:
    """GET shows what will happen (sessions, claimed tasks and where they go); POST does it."""
    row = _person(username)
    hand_to = request.form.get("hand_to") or None
    if request.method == "POST" and request.form.get("confirmed") == "yes":
        try:
            handed = roster.deactivate(_context(), current_user.member.username, username, hand_to)
        except DomainError as refused:
            return _deactivate_page(row, hand_to, refused.message(language())), 422
        flash(
            gettext(
                "%(name)s ist deaktiviert; alle Sitzungen sind beendet, %(count)s Aufgabe(n) weitergegeben.",
                name=row.display_name,
                count=handed,
            ),
            "success",
        )
        return redirect(url_for("staff_admin.person", username=username))
    return _deactivate_page(row, hand_to, None)


def _deactivate_page(row: roster.StaffRow, hand_to: str | None, error: str | None) -> str:
    colleagues = [
        (other.username, other.display_name)
        for other in roster.staff_list(_context())
        if other.active and other.username != row.username
    ]
    return render_template(
        "admin/staff_deactivate.html",
        person=row,
        tasks=roster.claimed_tasks(_context(), row.username),
        colleagues=colleagues,
        hand_to=hand_to,
        error=error,
    )


@blueprint.post("/verwaltung/mitarbeitende/<username>/reaktivieren")
@requires_role("administration")
def reactivate(username: str) -> Response:
    row = _person(username)
    roster.reactivate(_context(), current_user.member.username, username)
    flash(gettext("%(name)s ist wieder aktiv und kann sich anmelden.", name=row.display_name), "success")
    return redirect(url_for("staff_admin.person", username=username))
