"""Error pages in the person's language: no stack traces, no dead ends."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", title=title, message=message), status


def _http(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if code == 403:
        return _page(
            403, gettext("Kein Zugriff"), gettext("Diese Seite ist für Ihre Rolle nicht freigegeben.")
        )
    if code == 404:
        return _page(404, gettext("Nicht gefunden"), gettext("Diese Seite oder dieser Fall existiert nicht."))
    if code == 405:
        return _page(405, gettext("Nicht möglich"), gettext("Diese Aktion ist hier nicht möglich."))
    return _page(code, gettext("Fehler"), gettext("Die Anfrage konnte nicht verarbeitet werden."))


def _csrf(error: CSRFError) -> tuple[str, int]:
    return _page(
        400,
        gettext("Formular abgelaufen"),
        gettext(
            "Das Formular war zu lange offen oder wurde von außerhalb gesendet. "
            "Bitte laden Sie die Seite neu und senden Sie es erneut; es wurde nichts gespeichert."
        ),
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
