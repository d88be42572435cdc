"""The signed-in person of a request: the session token in the signed cookie, checked on the server on every
request (ended, idle, past its lifetime); an ended session sends the person to the login with a reason."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import UserMixin, current_user, logout_user
from ua_parser import parse
from werkzeug.wrappers import Response

from engine.kernel.actor import Actor
from engine.staff.cover import berlin_day, covered_by
from engine.staff.member import StaffMember
from engine.staff.sessions import ENDED, SessionLimits, check_session, expire_session, record_activity
from web.request_scope import done_reading, reading, reads_again

PUBLIC_ENDPOINTS = frozenset(
    {"auth.login", "static", "passwords.forgotten", "passwords.reset", "passwords.invitation"}
)


class SignedIn(UserMixin):
    """The logged-in staff member, as Flask-Login wants it; its id is the session's token."""

    def __init__(
        self,
        member: StaffMember,
        token: str,
        second_factor_done: bool = False,
        enrolled: bool = False,
        covering: frozenset[str] = frozenset(),
    ) -> None:
        self.member = member
        self.token = token
        self.covering = covering  # absent colleagues this person stands in for today
        self.second_factor_done = second_factor_done  # the second factor was given in this session
        self.enrolled = enrolled  # the person has a second factor set up

    def get_id(self) -> str:
        return self.token

    @property
    def actor(self) -> Actor:
        return Actor(self.member.username, self.member.roles, self.covering)

    def has_role(self, *roles: str) -> bool:
        return bool(self.member.roles & set(roles))


def device_of(user_agent: str) -> str | None:
    """What a person recognises of a browser: "Firefox 128, Windows" (``ua-parser``); never the raw string."""
    if not user_agent:
        return None
    parsed = parse(user_agent[:1000])
    browser = parsed.user_agent
    system = parsed.os
    parts = [" ".join(filter(None, (browser.family, browser.major))) if browser else None]
    parts.append(system.family if system else None)
    return ", ".join(part for part in parts if part) or None


def limits() -> SessionLimits:
    """The idle limit (``LOTSE_SESSION_MINUTES``) and the absolute lifetime (``LOTSE_SESSION_HOURS``)."""
    config = current_app.config
    return SessionLimits(
        idle=timedelta(minutes=config["LOTSE_SESSION_MINUTES"]),
        lifetime=timedelta(hours=config["LOTSE_SESSION_HOURS"]),
    )


def load(token: str) -> SignedIn | None:
    """Flask-Login's user loader: the session's person, read on the request's reading connection (one
    statement); its activity is recorded at most once a minute. Why a session no longer counts is kept
    for ``end_lapsed_session``."""
    ctx = current_app.extensions["lotse"]
    now = ctx.clock.now()
    connection = reading()
    covering: frozenset[str] = frozenset()
    try:
        check = check_session(connection, token, limits(), now)
        if check.member is not None and check.covers:
            covering = covered_by(connection, check.member.username, berlin_day(now))
    finally:
        connection.rollback()
        if not reads_again():
            done_reading()
    if check.member is None:
        g.lotse_session_ended = (check.ended, check.session_id)
        return None
    if check.stale and check.session_id is not None:
        record_activity(ctx, check.session_id, now)
    return SignedIn(check.member, token, check.second_factor_done, check.enrolled, covering)


def _reason(ended: str) -> str:
    if ended == "idle":
        return gettext("Ihre Sitzung ist wegen Inaktivität abgelaufen. Bitte melden Sie sich erneut an.")
    if ended == "lifetime":
        return gettext(
            "Ihre Sitzung hat ihre Höchstdauer von %(hours)s Stunden erreicht. Bitte melden Sie sich erneut an.",
            hours=current_app.config["LOTSE_SESSION_HOURS"],
        )
    if ended == ENDED:
        return gettext(
            "Ihre Sitzung wurde beendet (Abmeldung, neues Passwort oder gesperrtes Konto). "
            "Bitte melden Sie sich erneut an."
        )
    return gettext("Ihre Sitzung ist nicht mehr gültig. Bitte melden Sie sich erneut an.")


def end_lapsed_session() -> Response | None:
    """Before every request: a cookie whose session has ended (or run out) is cleared, and the person
    is sent to the login with the reason. Static files are public: they neither load the person nor
    count as activity."""
    if request.endpoint == "static" or current_user.is_authenticated:
        return None
    ended, session_id = g.pop("lotse_session_ended", (None, None))
    if ended is None:
        return None
    if ended in ("idle", "lifetime") and session_id is not None:
        expire_session(current_app.extensions["lotse"], session_id, ended)
    logout_user()
    session.clear()
    flash(_reason(ended), "info")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return redirect(url_for("auth.login", next=request.path))
