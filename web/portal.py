"""The public side: ``/kontakt`` (no login, no JavaScript, no cookie before submit) and the anonymous
mailbox ``/kontakt/postfach``. Rate limits per client address and for everyone together, a honeypot field
and size limits; every refusal is a friendly message at its field."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, make_response, render_template, request
from flask_babel import gettext

from engine.channels.portal import (
    MAX_SCREENSHOT_BYTES,
    MAX_TEXT_CHARS,
    PortalRefused,
    mailbox_messages,
    open_mailbox,
    submit_contact,
    write_back,
)
from web.i18n import language
from web.login_limit import LoginLimit, client_digest

blueprint = Blueprint("portal", __name__)
PER_CLIENT = "5/minute;20/hour"
EVERYONE = "300/hour"
MAX_FORM_BYTES = 64 * 1024


def init_app(app: Flask) -> None:
    storage = app.config["LOTSE_RATE_LIMIT_STORAGE"]
    app.extensions["lotse_portal_limit"] = LoginLimit(storage, PER_CLIENT, "kontakt")
    app.extensions["lotse_portal_global"] = LoginLimit(storage, EVERYONE, "kontakt-global")


def _limited() -> int | None:
    """Seconds to wait when this client or everyone together sent too much; None when allowed."""
    own = current_app.extensions["lotse_portal_limit"].hit(client_digest())
    return own or current_app.extensions["lotse_portal_global"].hit("all")


def _page(template: str, status: int = 200, **values) -> Response:
    response = make_response(render_template(template, **values), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(template: str, field: str, message: str, form: dict, status: int) -> Response:
    return _page(template, status, errors={field: message}, form=form)


@blueprint.get("/kontakt")
def contact() -> Response:
    return _page("portal/kontakt.html", errors={}, form={})


@blueprint.post("/kontakt")
def submit() -> Response:
    form = {k: v for k, v in request.form.items() if k not in ("passphrase", "passphrase2")}
    if (request.content_length or 0) > MAX_FORM_BYTES + MAX_SCREENSHOT_BYTES:
        return _refusal("portal/kontakt.html", "text", gettext("Die Nachricht ist zu groß."), {}, 413)
    if request.form.get("website"):  # the honeypot: people never see this field
        return _page("portal/danke.html", code=None)
    wait = _limited()
    if wait is not None:
        message = gettext(
            "Zu viele Nachrichten in kurzer Zeit. Bitte versuchen Sie es in %(s)s Sekunden erneut.", s=wait
        )
        return _refusal("portal/kontakt.html", "text", message, form, 429)
    if request.form.get("passphrase", "") != request.form.get("passphrase2", ""):
        return _refusal(
            "portal/kontakt.html", "passphrase", gettext("Die Passphrasen stimmen nicht überein."), form, 422
        )
    try:
        submitted = submit_contact(
            current_app.extensions["lotse"],
            request.form.get("text", ""),
            request.form.get("privacy", "anonym"),
            request.form.get("contact", ""),
            request.form.get("passphrase", ""),
            screenshots=[
                (upload.filename or "", upload.read(MAX_SCREENSHOT_BYTES + 1))
                for upload in request.files.getlist("screenshots")
            ],
        )
    except PortalRefused as refused:
        return _refusal("portal/kontakt.html", refused.field, refused.message(language()), form, 422)
    return _page("portal/danke.html", code=submitted.code)


@blueprint.get("/kontakt/postfach")
def mailbox() -> Response:
    return _page("portal/postfach.html", errors={}, form={}, entries=None)


@blueprint.post("/kontakt/postfach")
def mailbox_open() -> Response:
    form = {"code": request.form.get("code", "")}
    wait = _limited()
    if wait is not None:
        message = gettext("Zu viele Versuche. Bitte versuchen Sie es in %(s)s Sekunden erneut.", s=wait)
        return _page("portal/postfach.html", 429, errors={"code": message}, form=form, entries=None)
    context = current_app.extensions["lotse"]
    try:
        mailbox_id = open_mailbox(context, form["code"], request.form.get("passphrase", ""))
        if request.form.get("text", "").strip():
            write_back(context, mailbox_id, request.form.get("text", "")[: MAX_TEXT_CHARS + 1])
    except PortalRefused as refused:
        return _page(
            "portal/postfach.html",
            422,
            errors={refused.field: refused.message(language())},
            form=form,
            entries=None,
        )
    return _page("portal/postfach.html", errors={}, form=form, entries=mailbox_messages(context, mailbox_id))
