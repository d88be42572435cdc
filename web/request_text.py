"""Requests Lotse does not take: a NUL byte in the address, the query or a form (no database stores it,
PostgreSQL refuses it), or a form field without a name. Refused with 400 and a clear message before any
view, so nothing is stored."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

NUL = "\x00"


class UnreadableRequest(BadRequest):
    def __init__(self, unnamed: bool) -> None:
        super().__init__("a form field without a name" if unnamed else "a NUL byte in the request")
        self.unnamed = unnamed


def _check(fields: MultiDict) -> None:
    for name, values in fields.lists():
        if not name:
            raise UnreadableRequest(unnamed=True)
        if NUL in name or any(NUL in str(value) for value in values):
            raise UnreadableRequest(unnamed=False)


def check_request_text() -> None:
    if NUL in request.path:
        raise UnreadableRequest(unnamed=False)
    _check(request.args)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        _check(request.form)
        files = request.files
        _check(MultiDict((name, upload.filename or "") for name, upload in files.items(multi=True)))


def _refused(error: UnreadableRequest) -> tuple[str, int]:
    if error.unnamed:
        message = gettext(
            "Die Anfrage enthielt ein Formularfeld ohne Namen und wurde nicht verarbeitet; es wurde nichts "
            "gespeichert. Bitte laden Sie die Seite neu und senden Sie das Formular erneut."
        )
    else:
        message = gettext(
            "Die Anfrage enthielt ein unzulässiges Steuerzeichen (Nullbyte) und wurde nicht verarbeitet; es "
            "wurde nichts gespeichert. Bitte entfernen Sie es aus Ihrer Eingabe (etwa aus einem eingefügten "
            "Text) und senden Sie erneut."
        )
    return render_template("errors/error.html", title=gettext("Anfrage nicht lesbar"), message=message), 400


def init_app(app: Flask) -> None:
    """Register before every other check (origin, CSRF token, session)."""
    app.before_request(check_request_text)
    app.register_error_handler(UnreadableRequest, _refused)
