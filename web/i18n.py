"""Language and time zone for each request: German by default, English per staff member's setting."""

from __future__ import annotations

from babel import Locale
from flask import Flask
from flask_babel import Babel
from flask_login import current_user

LANGUAGES = ("de", "en")
TIME_ZONE = "Europe/Berlin"
babel = Babel()
# Parsed once: handing Flask-Babel a string makes it parse (and look up on disk) the locale per request.
LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def language() -> str:
    """The signed-in person's language setting; German before login and by default."""
    user = current_user._get_current_object()  # one look-up through the proxy instead of three
    if user is not None and user.is_authenticated and user.member.language in LANGUAGES:
        return user.member.language
    return "de"


def _locale() -> Locale:
    return LOCALES[language()]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIME_ZONE)
    babel.init_app(app, locale_selector=_locale, timezone_selector=lambda: TIME_ZONE)
    app.jinja_env.globals["language"] = language
