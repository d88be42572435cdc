"""The Flask application factory: builds the engine context and registers the blueprints."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.need_to_know import forget_grants, remember_grants_for_a_request
from engine.kernel.context import EngineContext, build_context
from engine.kernel.settings import Settings, base_url, instance_path_from_environment
from engine.person.blind_index import parse_index_keys
from engine.store.vault import Vault, parse_keyring
from web import acute_alert, request_text, url_numbers
from web.headers import secure_cookies
from web.origin import check_origin
from web.page_frame import csrf_token, fixed_urls
from web.request_scope import done_reading

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    instance = config.get("INSTANCE_PATH") or instance_path_from_environment()
    app = Flask(__name__, instance_path=str(Path(instance).resolve()))
    settings = Settings.from_environment(Path(app.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        LOTSE_DATABASE_URL=settings.database_url,
        LOTSE_SESSION_MINUTES=settings.session_minutes,
        LOTSE_SESSION_HOURS=settings.session_hours,
        LOTSE_SECURE_COOKIES=settings.secure_cookies,
        LOTSE_RATE_LIMIT_STORAGE=settings.rate_limit_storage,
        LOTSE_LOGIN_RATE_LIMIT=settings.login_rate_limit,
        LOTSE_SECOND_FACTOR=settings.second_factor,
        LOTSE_CODE_RATE_LIMIT=settings.code_rate_limit,
        LOTSE_BASE_URL=base_url(),
        # The cookie carries the session's token; the server checks idle time and lifetime on every
        # request (web/staff_session.py), so the cookie itself lasts the lifetime and is not re-sent.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies(settings.secure_cookies),
        SESSION_REFRESH_EACH_REQUEST=False,
        # Flask-WTF would demand a Referer over HTTPS, which browsers never send under Lotse's
        # Referrer-Policy: no-referrer; web/origin.py checks where a request comes from instead.
        WTF_CSRF_SSL_STRICT=False,
    )
    app.config.update(config)
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops, x_host=settings.proxy_hops
        )
    app.extensions["lotse"] = _engine_context(app, settings)
    url_numbers.init_app(app)  # before any route is added
    request_text.init_app(app)  # first: a request with NUL bytes or unnamed fields is refused as it is
    app.before_request(check_origin)  # before the CSRF token: a request from elsewhere gets a clear 403
    csrf.init_app(app)
    from web import (
        absence,
        access,
        account,
        admin,
        appointments,
        auth,
        cases,
        channels,
        consents,
        deadlines,
        directory,
        errors,
        evidence,
        formatting,
        headers,
        i18n,
        inbox,
        intake_api,
        passwords,
        person,
        portal,
        process_migration,
        processes,
        reply_templates,
        rights,
        search,
        second_factor,
        staff_admin,
        statistics,
        status,
        tasks,
        timeline,
    )

    i18n.init_app(app)
    formatting.init_app(app)
    timeline.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    auth.init_app(app)
    app.before_request(second_factor.require_second_factor)  # after the session check in auth
    app.register_blueprint(second_factor.blueprint)
    for area in (
        inbox,
        tasks,
        cases,
        deadlines,
        directory,
        admin,
        account,
        absence,
        staff_admin,
        passwords,
        status,
        processes,
        process_migration,
        access,
        appointments,
        person,
        search,
        evidence,
        consents,
        rights,
        statistics,
        channels,
        reply_templates,
        portal,
        intake_api,
    ):
        app.register_blueprint(area.blueprint)
    # no cookie before submit on the public pages (rate limits, honeypot and the Origin check instead);
    # the intake API is signed by the portal
    csrf.exempt(portal.blueprint)
    csrf.exempt(intake_api.blueprint)
    portal.init_app(app)
    acute_alert.init_app(app)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))
    app.teardown_appcontext(done_reading)
    app.before_request(remember_grants_for_a_request)  # need to know asked once per case and request
    app.teardown_request(forget_grants)
    app.jinja_env.globals["fixed_urls"] = fixed_urls
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["timedelta"] = timedelta
    app.context_processor(lambda: {"csrf_token": csrf_token})  # Flask-WTF puts its own in each context
    return app


def _engine_context(app: Flask, settings: Settings) -> EngineContext:
    context = app.config.get("LOTSE_CONTEXT")
    if context is not None:
        return context
    keys, active = parse_keyring(app.config.get("LOTSE_KEYS") or settings.keyring)
    index_keys = parse_index_keys(settings.index_key)
    return build_context(
        app.config["LOTSE_DATABASE_URL"],
        Vault(keys, active),
        BusinessCalendar(land=app.config.get("LOTSE_LAND", settings.land)),
        index_key=index_keys[0] if index_keys else None,
        older_index_keys=tuple(index_keys[1:]),
    )
