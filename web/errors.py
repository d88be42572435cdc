"""Error pages in the person's language, for HTTP and domain errors: no stack traces, no dead ends."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.kernel.errors import CasePurged, NotFound, NotPermitted, OutsideNeedToKnow
from engine.processes.field_labels import form_field_labels
from engine.store.vault import VaultError
from web import access
from web.i18n import language
from web.origin import CrossOriginRequest


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", title=title, message=message), status


def _not_found(_error: Exception | None = None) -> tuple[str, int]:
    return _page(404, gettext("Nicht gefunden"), gettext("Diese Seite oder dieser Fall existiert nicht."))


def _not_permitted(_error: Exception | None = None) -> tuple[str, int]:
    return _page(403, gettext("Kein Zugriff"), gettext("Diese Seite ist für Ihre Rolle nicht freigegeben."))


def _outside_need_to_know(error: OutsideNeedToKnow) -> tuple[str, int]:
    """A case the person may not see: a counsellor opening it is shown that it exists and her ways in
    (``web.access``); otherwise say why, rather than blaming the role."""
    case_id = error.facts.get("case_id")
    if case_id is not None and request.method == "GET" and current_user.has_role(*access.COUNSELS):
        return access.glimpse_page(case_id), 403
    return _page(
        403,
        gettext("Kein Zugriff auf diesen Fall"),
        gettext(
            "Sie sehen nur Fälle, in denen Sie zuständig sind oder deren Aufgaben Ihrer Gruppe "
            "offenstehen (Need-to-know). Braucht es Sie in diesem Fall, kann die Teamleitung Ihnen "
            "die Aufgabe zuweisen."
        ),
    )


def _purged(error: CasePurged) -> tuple[str, int]:
    return _page(410, gettext("Inhalt gelöscht"), error.message(language()))


def _unreadable(error: VaultError) -> tuple[str, int]:
    """Stored content that cannot be opened (a key missing from the keyring, altered data): said for
    this page alone; everything else goes on working."""
    current_app.logger.error("Stored content cannot be opened at %s: %s", request.path, error)
    if error.missing_key is not None:
        message = gettext(
            "Dieser Inhalt ist mit dem Schlüssel „%(key)s“ verschlüsselt, der nicht eingerichtet ist. "
            "Andere Fälle sind nicht betroffen; bitte wenden Sie sich an die Administration.",
            key=error.missing_key,
        )
    else:
        message = gettext(
            "Dieser Inhalt wurde verändert oder gehört nicht zu diesem Datensatz und wird nicht angezeigt. "
            "Andere Fälle sind nicht betroffen; bitte wenden Sie sich an die Administration."
        )
    return _page(500, gettext("Inhalt nicht lesbar"), message)


def _http(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if code == 403:
        return _not_permitted()
    if code == 404:
        return _not_found()
    if code == 405:
        return _page(405, gettext("Nicht möglich"), gettext("Diese Aktion ist hier nicht möglich."))
    return _page(code, gettext("Fehler"), gettext("Die Anfrage konnte nicht verarbeitet werden."))


def _csrf(error: CSRFError) -> tuple[str, int]:
    """A form without a valid token: usually the session ran out while the person typed. Say so, and
    give back what they typed (only to a form sent from Lotse's own pages), so that nothing is lost."""
    again = _same_site_path()
    typed = _typed() if again is not None else []  # never echoed to another site
    if not current_user.is_authenticated:
        title = gettext("Sitzung abgelaufen")
        message = gettext(
            "Ihre Sitzung ist abgelaufen, bevor das Formular ankam; es wurde nichts gespeichert. "
            "Bitte melden Sie sich erneut an und übernehmen Sie Ihre Eingaben von unten."
        )
    else:
        title = gettext("Formular abgelaufen")
        message = gettext(
            "Das Formular war zu lange offen oder wurde von außerhalb gesendet. "
            "Bitte laden Sie die Seite neu und senden Sie es erneut; es wurde nichts gespeichert."
        )
    labelled = [(_field_label(name), value) for name, value in typed]
    page = render_template("errors/error.html", title=title, message=message, typed=labelled, again=again)
    return page, 400


OWN_FIELDS = {  # Lotse's own form fields (the models' fields are labelled by the models)
    "text": lazy_gettext("Notiz"),
    "kontaktkanal": lazy_gettext("Kontaktkanal"),
    "modus": lazy_gettext("Anonym oder vertraulich"),
    "telefon": lazy_gettext("Telefon"),
    "email": lazy_gettext("E-Mail"),
    "name": lazy_gettext("Name"),
    "grund": lazy_gettext("Begründung"),
    "kenntnis_tat": lazy_gettext("Kenntnis der Tat"),
    "kenntnis_taeter": lazy_gettext("Kenntnis des Täters"),
    "delikt": lazy_gettext("Tat"),
}


def _field_label(name: str) -> str:
    """A posted field as its form labels it; a field no form names is shown as "Feld", never its key."""
    labels = g.get("field_labels")
    if labels is None:
        labels = g.field_labels = form_field_labels(current_app.extensions["lotse"], language())
    own = OWN_FIELDS.get(name)
    return labels.get(name) or (str(own) if own is not None else gettext("Weitere Angabe"))


def _same_site_path() -> str | None:
    """The path of the Lotse page the form was sent from, if it was sent from one. Under Lotse's
    ``Referrer-Policy: no-referrer`` browsers send neither a Referer nor a real Origin, but say
    ``Sec-Fetch-Site: same-origin``: then the form's page is taken to be the one it was posted to."""
    for header in ("Origin", "Referer"):
        source = request.headers.get(header)
        if source and source != "null":
            parts = urlsplit(source)
            if parts.netloc != request.host:
                return None
            if header == "Referer":
                return parts.path + (f"?{parts.query}" if parts.query else "")
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return request.full_path.rstrip("?")
    return None


def _cross_origin(_error: CrossOriginRequest) -> tuple[str, int]:
    """A state-changing request from another site (``web.origin``): refused before anything happened."""
    return _page(
        403,
        gettext("Anfrage von außerhalb abgelehnt"),
        gettext(
            "Diese Anfrage kam nicht von einer Seite von Lotse und wurde deshalb abgelehnt; es wurde "
            "nichts gespeichert. Haben Sie selbst ein Formular abgeschickt, öffnen Sie Lotse bitte direkt "
            "(nicht über einen Link aus einer anderen Anwendung), laden Sie die Seite neu und senden Sie "
            "erneut."
        ),
    )


def _typed() -> list[tuple[str, str]]:
    """The non-empty values of the posted form, but its token and the referral panel's own fields."""
    if request.method != "POST":
        return []
    return [
        (name, value)
        for name, values in request.form.lists()
        if name != "csrf_token" and not name.startswith("panel-")
        for value in values
        if value.strip()
    ][:200]


def init_app(app: Flask) -> None:
    """Views let domain errors they do not render themselves reach these handlers (the most specific
    class wins: OutsideNeedToKnow before NotPermitted)."""
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(CrossOriginRequest, _cross_origin)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(NotPermitted, _not_permitted)
    app.register_error_handler(OutsideNeedToKnow, _outside_need_to_know)
    app.register_error_handler(CasePurged, _purged)
    app.register_error_handler(VaultError, _unreadable)
