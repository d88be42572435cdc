"""The second factor after the password: enrolment (QR code, recovery codes shown once) and the code
page, and the gate that lets a password-only session reach nothing else."""

from __future__ import annotations

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from engine.staff.second_factor import (
    SecondFactorRefused,
    confirm_enrolment,
    pass_second_factor,
    start_enrolment,
)
from web import login_limit
from web.auth import safe_next
from web.i18n import language

blueprint = Blueprint("second_factor", __name__)

# What a session that has only given the password may open (and switch the interface's language).
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "second_factor.verify",
        "second_factor.enrol",
        "auth.logout",
        "account.set_language",
        "static",
        "favicon",
    }
)


class CodeForm(FlaskForm):
    code = StringField(lazy_gettext("Code"), validators=[DataRequired(), Length(max=40)])


def _context():
    return current_app.extensions["lotse"]


def _too_many() -> tuple[int, dict[str, str]] | None:
    seconds = login_limit.seconds_to_wait_for_code(current_user.member.id)
    if seconds is None:
        return None
    flash(
        gettext("Zu viele Codes in kurzer Zeit. Bitte warten Sie %(seconds)s Sekunden.", seconds=seconds),
        "error",
    )
    return 429, {"Retry-After": str(seconds)}


@blueprint.route("/anmeldung/code", methods=["GET", "POST"])
@login_required
def verify() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if not current_user.enrolled:
        return redirect(url_for("second_factor.enrol", next=request.args.get("next")))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/second_factor.html", form=form)
    waiting = _too_many()
    if waiting is not None:
        return render_template("auth/second_factor.html", form=form), *waiting
    try:
        pass_second_factor(_context(), current_user.token, form.code.data)
    except SecondFactorRefused as refused:
        form.code.errors = [refused.message(language())]
        return render_template("auth/second_factor.html", form=form), 401
    return redirect(safe_next(request.args.get("next")))


def _enrol_page(form: CodeForm) -> str:
    enrolment = start_enrolment(_context(), current_user.token)
    qr_code = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5, border=2)
    secret = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return render_template("auth/enrol.html", form=form, qr_code=qr_code, secret=secret)


@blueprint.route("/anmeldung/einrichten", methods=["GET", "POST"])
@login_required
def enrol() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if current_user.enrolled:
        return redirect(url_for("second_factor.verify", next=request.args.get("next")))
    form = CodeForm()
    if not form.validate_on_submit():
        return _enrol_page(form)
    waiting = _too_many()
    if waiting is not None:
        return _enrol_page(form), *waiting
    try:
        codes = confirm_enrolment(_context(), current_user.token, form.code.data)
    except SecondFactorRefused as refused:
        form.code.errors = [refused.message(language())]
        return _enrol_page(form), 422
    return render_template("auth/recovery_codes.html", codes=codes, next=safe_next(request.args.get("next")))


def require_second_factor() -> Response | None:
    """Before every request: with the second factor on, a session that has given only the password is
    sent to the code page (or to enrolment) from every page but those and the logout."""
    if not current_app.config["LOTSE_SECOND_FACTOR"] or request.endpoint in OPEN_BEFORE_SECOND_FACTOR:
        return None
    if not current_user.is_authenticated or current_user.second_factor_done:
        return None
    target = "second_factor.verify" if current_user.enrolled else "second_factor.enrol"
    return redirect(url_for(target, next=request.path if request.method == "GET" else None))
