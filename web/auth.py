"""Login and logout, and the one place that says who may open a page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.staff.accounts import dummy_hash
from engine.staff.login import LoginDelayed, LoginRefused, log_in
from engine.staff.sessions import log_out
from web import login_limit, staff_session
from web.i18n import language
from web.staff_session import SignedIn

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Bitte melden Sie sich an.")
login_manager.user_loader(staff_session.load)


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("Benutzername"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(lazy_gettext("Passwort"), validators=[DataRequired(), Length(max=200)])


def requires_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only staff with one of these roles may open the view; others get 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded

    return decorate


def _wait(form: LoginForm, seconds: int, message: str) -> tuple[str, int, dict[str, str]]:
    flash(message, "error")
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(seconds)}


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    seconds = login_limit.seconds_to_wait()
    if seconds is not None:
        current_app.logger.warning("login attempts over the limit for a client address")
        message = gettext(
            "Zu viele Anmeldeversuche von Ihrer Adresse. Bitte warten Sie %(seconds)s Sekunden.",
            seconds=seconds,
        )
        return _wait(form, seconds, message)
    try:
        signed_in = log_in(
            current_app.extensions["lotse"],
            form.username.data,
            form.password.data,
            login_limit.client_digest(),
            device=staff_session.device_of(request.user_agent.string),
            address=login_limit.client_address(),
        )
    except LoginDelayed as delayed:
        return _wait(form, delayed.seconds, delayed.message(language()))
    except LoginRefused as refused:
        flash(refused.message(language()), "error")
        return render_template("auth/login.html", form=form), 401
    session.clear()
    login_user(SignedIn(signed_in.member, signed_in.token))
    session.permanent = True  # the cookie lasts as long as the session's absolute lifetime
    if current_app.config["LOTSE_SECOND_FACTOR"]:
        return redirect(url_for("second_factor.verify", next=request.args.get("next")))
    return redirect(safe_next(request.args.get("next")))


@blueprint.post("/logout")
@login_required
def logout() -> Response:
    """Ends every session of the person, in every browser, not only this cookie."""
    log_out(current_app.extensions["lotse"], current_user.token)
    logout_user()
    session.clear()
    flash(gettext("Sie wurden abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@blueprint.post("/sitzung")
@login_required
def keep_alive() -> tuple[str, int]:
    """Typing counts as activity: a page with a form says so here while the person types (app.js), so a
    long call does not end in an expired session. Loading the signed-in person records it."""
    return "", 204


def safe_next(target: str | None) -> str:
    """Only redirect within Lotse after login (browsers read ``/\\host`` as ``//host``)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("inbox.inbox")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(staff_session.end_lapsed_session)
    app.register_blueprint(blueprint)
    login_limit.init_app(app)
    dummy_hash()  # made now, so the first unknown name is not slower than the rest
