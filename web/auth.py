"""Login, logout, session expiry after inactivity, and the one place that says who may open a page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.kernel.actor import Actor
from engine.staff.accounts import LoginRefused, StaffMember, authenticate, signed_in_member
from web.request_scope import done_reading, reading, reads_again

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Bitte melden Sie sich an.")
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})


class SignedIn(UserMixin):
    """The logged-in staff member, as Flask-Login wants it."""

    def __init__(self, member: StaffMember) -> None:
        self.member = member

    def get_id(self) -> str:
        return str(self.member.id)

    @property
    def actor(self) -> Actor:
        return Actor(self.member.username, self.member.roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.member.roles & set(roles))


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("Benutzername"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(lazy_gettext("Passwort"), validators=[DataRequired(), Length(max=200)])


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    """The signed-in staff member, read on the request's reading connection (one statement, no ORM)."""
    if not user_id.isdigit():
        return None
    connection = reading()
    try:
        member = signed_in_member(connection, int(user_id))
    finally:
        connection.rollback()
        if not reads_again():
            done_reading()
    return SignedIn(member) if member is not None else None


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


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            member = authenticate(current_app.extensions["lotse"], form.username.data, form.password.data)
        except LoginRefused as refused:
            flash(refused.message("de"), "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        login_user(SignedIn(member))
        session.permanent = True
        _touch()
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@blueprint.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash(gettext("Sie wurden abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@blueprint.post("/sitzung")
@login_required
def keep_alive() -> tuple[str, int]:
    """Typing counts as activity: a page with a form says so here while the person types (app.js), so a
    long call does not end in an expired session. The idle check before every request records it."""
    return "", 204


def safe_next(target: str | None) -> str:
    """Only redirect within Lotse after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("inbox.inbox")


# How old the last recorded activity may get before a request records it anew. Writing it on every
# request would make every response send a new, re-signed session cookie; a minute's precision on an
# idle limit of half an hour is plenty.
SEEN_PRECISION_SECONDS = 60.0


def _now() -> float:
    """Seconds since the epoch (tests replace this to move time forward)."""
    return datetime.now(UTC).timestamp()


def _touch(now: float | None = None) -> None:
    session["seen"] = _now() if now is None else now


def _expire_idle_sessions() -> Response | None:
    """Log out after the configured inactivity; every request of a signed-in person counts as activity,
    recorded at most once a minute so that most responses leave the session cookie as it is. Static
    files are public and no activity: they neither load the signed-in person nor keep the session."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    idle = timedelta(minutes=current_app.config["LOTSE_SESSION_MINUTES"])
    seen = session.get("seen")
    now = _now()
    if seen is None or now - seen > idle.total_seconds():
        logout_user()
        session.clear()
        flash(
            gettext("Ihre Sitzung ist wegen Inaktivität abgelaufen. Bitte melden Sie sich erneut an."), "info"
        )
        return redirect(url_for("auth.login", next=request.path))
    if now - seen >= SEEN_PRECISION_SECONDS:
        _touch(now)
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_expire_idle_sessions)
    app.register_blueprint(blueprint)
