"""Evidence on the case page: attach a file with its metadata, see thumbnails, download (audited)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from engine.calendar.business_calendar import BERLIN
from engine.evidence.dossier import produce_dossier
from engine.evidence.dossier_handover import DossierNotSent, send_dossier
from engine.evidence.items import (
    EvidenceDetails,
    attach_evidence,
    evidence_file,
    evidence_preview,
    list_evidence,
)
from engine.evidence.screening import MAX_BYTES, EvidenceRefused
from web.auth import requires_role
from web.case_presence import known_empty
from web.headers import CONTENT_SECURITY_POLICY
from web.i18n import language

blueprint = Blueprint("evidence", __name__)
COUNSELS = ("beratung", "teamleitung")
# the page policy plus ``sandbox``: a stored file opened in the browser runs in an opaque origin without script
FILE_POLICY = {**CONTENT_SECURITY_POLICY, "sandbox": ""}


def _file_policy(view):
    """Responses carrying a stored file get ``FILE_POLICY`` instead of the page policy."""
    view.talisman_view_options = {"content_security_policy": FILE_POLICY}
    return view


FORM_ALLOWANCE = 1024 * 1024  # room for the other fields and the multipart framing


def _context():
    return current_app.extensions["lotse"]


@blueprint.app_template_global()
def case_evidence_items(case_id: int) -> list:
    """The case page's evidence list (``cases/_evidence.html``)."""
    if known_empty(case_id, "evidence"):
        return []
    return list_evidence(_context(), current_user.actor, case_id)


@blueprint.record_once
def _limit_requests(state) -> None:
    """No request body larger than an evidence file and its form (unless the app sets its own limit)."""
    state.app.config.setdefault("MAX_CONTENT_LENGTH", None)
    if state.app.config["MAX_CONTENT_LENGTH"] is None:
        state.app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES + FORM_ALLOWANCE


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """Refused while the form was read (before the view ran): say so at the file field."""
    message = gettext("Die Datei ist zu groß (höchstens %(mb)s MB).", mb=MAX_BYTES // (1024 * 1024))
    return _form_page((request.view_args or {}).get("case_id", 0), {}, {"datei": message}, 413)


@blueprint.post("/faelle/<int:case_id>/beweise")
@requires_role(*COUNSELS)
def attach(case_id: int) -> Response | tuple[str, int]:
    form, upload = request.form, request.files.get("datei")
    errors: dict[str, str] = {}
    details = EvidenceDetails(
        platform=form.get("plattform", ""),
        url=form.get("url", ""),
        profile=form.get("profil", ""),
        posted_at=_instant(form, "veroeffentlicht", errors),
        captured_at=_instant(form, "gesichert", errors),
        description=form.get("beschreibung", ""),
    )
    if upload is None or not upload.filename:
        errors["datei"] = gettext("Bitte wählen Sie eine Datei aus.")
    if errors:
        return _form_page(case_id, form, errors, 422)
    data = upload.stream.read(MAX_BYTES + 1)
    try:
        attach_evidence(_context(), current_user.actor, case_id, upload.filename, data, details)
    except EvidenceRefused as refused:
        field = refused.facts.get("field") or "datei"
        return _form_page(case_id, form, {field: refused.message(language())}, 422)
    flash(gettext("Beweisstück verschlüsselt gespeichert."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#beweise")


@blueprint.get("/faelle/<int:case_id>/beweise/<int:item_id>/datei")
@login_required
@_file_policy
def download(case_id: int, item_id: int) -> Response:
    """The original file, always as a download; the browser must not guess its type or render it."""
    found = evidence_file(_context(), current_user.actor, case_id, item_id)
    response = send_file(
        BytesIO(found.data),
        mimetype=found.media_type,
        as_attachment=True,
        download_name=found.file_name,
        max_age=0,
    )
    _lock_down(response)
    return response


@blueprint.get("/faelle/<int:case_id>/beweise/<int:item_id>/vorschau.png")
@login_required
@_file_policy
def preview(case_id: int, item_id: int) -> Response:
    """The re-encoded thumbnail (a plain PNG made by Lotse, not the uploaded bytes)."""
    response = Response(
        evidence_preview(_context(), current_user.actor, case_id, item_id), mimetype="image/png"
    )
    _lock_down(response)
    return response


@blueprint.get("/faelle/<int:case_id>/beweisdossier.pdf")
@requires_role(*COUNSELS)
@_file_policy
def dossier(case_id: int) -> Response:
    """The evidence dossier for the person (generated now, audited); always a download."""
    made = produce_dossier(_context(), current_user.actor, case_id, language())
    response = send_file(
        BytesIO(made.data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=made.file_name,
        max_age=0,
    )
    _lock_down(response)
    return response


@blueprint.post("/faelle/<int:case_id>/beweisdossier/senden")
@requires_role(*COUNSELS)
def send(case_id: int) -> Response:
    """Queue the dossier for the police, HateAid or a Meldestelle: refused unless the consent stands."""
    form = request.form
    try:
        send_dossier(
            _context(), current_user.actor, case_id, form.get("empfaenger", ""), form.get("adresse", "")
        )
    except DossierNotSent as refused:
        flash(refused.message(language()), "error")
    else:
        flash(gettext("Das Dossier wird gesendet (mit Einwilligung der Person)."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#beweise")


def _lock_down(response: Response) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"


def _form_page(case_id: int, form, errors: dict[str, str], status: int) -> tuple[str, int]:
    page = render_template("evidence/new.html", case_id=case_id, form=form, errors=errors)
    return page, status


def _instant(form, name: str, errors: dict[str, str]) -> datetime | None:
    """A ``datetime-local`` field as Berlin time; a malformed one is refused at the field."""
    text = form.get(name, "")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=BERLIN)
    except ValueError:
        errors[name] = gettext("„%(text)s“ ist kein gültiger Zeitpunkt.", text=text[:20])
        return None
