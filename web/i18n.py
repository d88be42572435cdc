"""Language and time zone for each request: German by default, English per staff member's setting."""

from __future__ import annotations

from typing import Any

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, g, has_request_context
from flask_babel import Babel, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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


def _catalogue() -> NullTranslations:
    """The request's message catalogue for templates, looked up once per request: Flask-Babel finds it
    anew for every ``_()`` (several context look-ups each). Lotse never switches the language in the
    middle of a request (the language form redirects), so the first answer holds for the request."""
    if not has_request_context():
        return get_translations()
    found = g.get("lotse_catalogue")
    if found is None:
        found = g.lotse_catalogue = get_translations()
    return found


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIME_ZONE)
    babel.init_app(app, locale_selector=_locale, timezone_selector=lambda: TIME_ZONE)
    app.jinja_env.globals["language"] = language
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda string: _catalogue().ugettext(string),
        ngettext=lambda singular, plural, n: _catalogue().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, string: _catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _catalogue().unpgettext(context, singular, plural, n),
    )
    # The same as Jinja's new-style callables, without their second dispatch per call: a case page asks
    # for some 160 texts, and the generic path was a fifth of its CPU time.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    text = _catalogue().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text  # "%%" must still become "%"


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = _catalogue().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables
