"""The Flask application factory: builds the engine context and registers the blueprints."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request, session, url_for
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Connection

from engine.calendar.business_calendar import BusinessCalendar
from engine.kernel.context import EngineContext, build_context
from engine.kernel.settings import Settings, instance_path_from_environment
from engine.store.vault import Vault, parse_keyring

csrf = CSRFProtect()
CSRF_REUSE_SECONDS = 60.0  # how long a signed CSRF token is handed out again (valid for WTF_CSRF_TIME_LIMIT)
CSRF_KEPT = 10_000  # signed tokens remembered per process before the memory starts afresh


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    instance = config.get("INSTANCE_PATH") or instance_path_from_environment()
    app = Flask(__name__, instance_path=str(Path(instance).resolve()))
    settings = Settings.from_environment(Path(app.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        LOTSE_DATABASE_URL=settings.database_url,
        LOTSE_SESSION_MINUTES=settings.session_minutes,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The cookie is sent again only when the session changes; idle expiry records activity in
        # the session once a minute (web/auth.py), which also renews the cookie's lifetime.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.config.update(config)
    app.extensions["lotse"] = _engine_context(app, settings)
    csrf.init_app(app)
    from web import (
        account,
        admin,
        auth,
        cases,
        deadlines,
        directory,
        errors,
        formatting,
        i18n,
        inbox,
        process_migration,
        processes,
        status,
        tasks,
    )

    i18n.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    for area in (
        inbox,
        tasks,
        cases,
        deadlines,
        directory,
        admin,
        account,
        status,
        processes,
        process_migration,
    ):
        app.register_blueprint(area.blueprint)
    app.teardown_appcontext(done_reading)
    app.jinja_env.globals["fixed_urls"] = fixed_urls
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})  # Flask-WTF puts its own in each context
    return app


def csrf_token() -> str:
    """The session's signed CSRF token as Flask-WTF makes it, but signed at most once a minute per
    session rather than on every page: a token signed a minute ago is as good as a new one."""
    if "csrf_token" in g:
        return g.csrf_token
    signed: dict[str, tuple[str, float]] = current_app.extensions.setdefault("lotse_csrf_tokens", {})
    raw = session.get("csrf_token")
    now = time.monotonic()
    known = signed.get(raw) if raw else None
    if known is not None and now - known[1] < CSRF_REUSE_SECONDS:
        g.csrf_token = known[0]  # where Flask-WTF's generate_csrf finds it, too
        return known[0]
    token = generate_csrf()
    if len(signed) >= CSRF_KEPT:
        signed.clear()
    signed[session["csrf_token"]] = (token, now)
    return token


class FixedUrls(dict[str, str]):
    """URLs that take no arguments from the request (``"inbox.inbox"``, ``"static:lotse.css"``), built
    on first use and then kept: the page header asks for a dozen on every page."""

    def __missing__(self, key: str) -> str:
        endpoint, _, filename = key.partition(":")
        found = self[key] = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
        return found


def fixed_urls() -> FixedUrls:
    """The app's ``FixedUrls`` for the request's script root (the path under which the app is mounted)."""
    known = current_app.extensions.setdefault("lotse_fixed_urls", {})
    root = request.script_root
    found = known.get(root)
    if found is None:
        found = known[root] = FixedUrls()
    return found


def reading() -> Connection:
    """The request's one connection for plain reads (the signed-in person, the inbox), checked out once.

    On PostgreSQL it runs in autocommit: each statement sees what is committed when it starts, as it
    would in a READ COMMITTED transaction, without BEGIN and ROLLBACK travelling to the server. Callers
    end what they read with ``rollback()``, so on SQLite, too, a later read sees what the request wrote.
    """
    connection = g.get("lotse_reading")
    if connection is None:
        context = current_app.extensions["lotse"]
        context.calendar_follower.follow(context.db)
        connection = context.db.connect()
        if context.is_postgres:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        g.lotse_reading = connection
    return connection


def reads_again() -> bool:
    """Whether the request's view reads on the reading connection too (marked ``reuses_reading``);
    if not, the connection goes back to the pool as soon as the signed-in person is known, so that a
    request never holds it while a use case takes a second one."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "reuses_reading", False)


def done_reading(_error: BaseException | None = None) -> None:
    """Give the request's reading connection back to the pool (at the latest when the request ends)."""
    connection = g.pop("lotse_reading", None)
    if connection is not None:
        connection.close()


def _engine_context(app: Flask, settings: Settings) -> EngineContext:
    context = app.config.get("LOTSE_CONTEXT")
    if context is not None:
        return context
    keys, active = parse_keyring(app.config.get("LOTSE_KEYS") or settings.keyring)
    return build_context(
        app.config["LOTSE_DATABASE_URL"],
        Vault(keys, active),
        BusinessCalendar(land=app.config.get("LOTSE_LAND", settings.land)),
    )
