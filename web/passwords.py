"""Passwords: the invitation and reset links (set a password), the forgotten-password form (the same answer
for every address) and the signed-in person's change page. Rules: ``engine.staff.passwords``."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from engine.staff.account_links import INVITATION, RESET, LinkInvalid
from engine.staff.password_policy import WeakPassword
from engine.staff.passwords import (
    WrongPassword,
    change_own_password,
    link_holder_name,
    request_reset,
    set_password_by_link,
)
from web import login_limit
from web.i18n import language

blueprint = Blueprint("passwords", __name__)


class NewPasswordForm(FlaskForm):
    password = PasswordField(lazy_gettext("Neues Passwort"), validators=[DataRequired(), Length(max=200)])
    repeated = PasswordField(
        lazy_gettext("Neues Passwort wiederholen"),
        validators=[
            DataRequired(),
            EqualTo("password", message=lazy_gettext("Die beiden Eingaben sind verschieden.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(lazy_gettext("Bisheriges Passwort"), validators=[DataRequired(), Length(max=200)])


class ForgottenForm(FlaskForm):
    email = EmailField(lazy_gettext("E-Mail-Adresse"), validators=[DataRequired(), Length(max=200)])


def _context():
    return current_app.extensions["lotse"]


def _by_link(token: str, purpose: str) -> str | Response | tuple[str, int]:
    try:
        name = link_holder_name(_context(), token, purpose)
    except LinkInvalid as invalid:
        return render_template("auth/link_invalid.html", message=invalid.message(language())), 410
    form = NewPasswordForm()
    page = "auth/set_password.html"
    if not form.validate_on_submit():
        return render_template(page, form=form, name=name, invitation=purpose == INVITATION)
    try:
        set_password_by_link(_context(), token, purpose, form.password.data)
    except WeakPassword as weak:
        form.password.errors = [weak.message(language())]
        return render_template(page, form=form, name=name, invitation=purpose == INVITATION), 422
    except LinkInvalid as invalid:
        return render_template("auth/link_invalid.html", message=invalid.message(language())), 410
    if purpose == INVITATION:
        flash(
            gettext(
                "Ihr Passwort ist gesetzt. Melden Sie sich jetzt an und richten Sie den zweiten Faktor ein."
            ),
            "success",
        )
    else:
        flash(gettext("Ihr neues Passwort ist gesetzt. Bitte melden Sie sich damit an."), "success")
    return redirect(url_for("auth.login"))


@blueprint.route("/einladung/<token>", methods=["GET", "POST"])
def invitation(token: str) -> str | Response | tuple[str, int]:
    return _by_link(token, INVITATION)


@blueprint.route("/passwort/neu/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    return _by_link(token, RESET)


@blueprint.route("/passwort/vergessen", methods=["GET", "POST"])
def forgotten() -> str | Response | tuple[str, int, dict[str, str]]:
    form = ForgottenForm()
    if not form.validate_on_submit():
        return render_template("auth/forgotten.html", form=form)
    seconds = login_limit.seconds_to_wait()  # requests count against the address's login attempts
    if seconds is not None:
        message = gettext(
            "Zu viele Anfragen von Ihrer Adresse. Bitte warten Sie %(seconds)s Sekunden.", seconds=seconds
        )
        form.email.errors = [message]
        return render_template("auth/forgotten.html", form=form), 429, {"Retry-After": str(seconds)}
    request_reset(_context(), form.email.data, current_app.config["LOTSE_BASE_URL"])
    flash(
        gettext(
            "Wenn die Adresse zu einem aktiven Konto gehört, ist ein Link zum Zurücksetzen unterwegs. "
            "Er gilt eine Stunde."
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@blueprint.route("/konto/passwort", methods=["GET", "POST"])
@login_required
def change() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("account/password.html", form=form)
    try:
        ended = change_own_password(_context(), current_user.token, form.current.data, form.password.data)
    except WrongPassword as wrong:
        form.current.errors = [wrong.message(language())]
        return render_template("account/password.html", form=form), 422
    except WeakPassword as weak:
        form.password.errors = [weak.message(language())]
        return render_template("account/password.html", form=form), 422
    flash(
        gettext("Ihr Passwort ist geändert; %(count)s andere Sitzung(en) wurden beendet.", count=ended),
        "success",
    )
    return redirect(url_for("account.sessions"))
