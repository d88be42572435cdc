"""The referral directory: counsellors search it; team leads edit, retire, re-verify, import and export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.calendar.business_calendar import BERLIN
from engine.calendar.laender import land_names
from engine.directory.csv_exchange import MAX_BYTES, ImportRefused, apply_import, export_csv, preview_import
from engine.directory.edits import OfferChangedMeanwhile, change_offer, create_offer, retire_offer
from engine.directory.history import read_offer
from engine.directory.offers import BOOL_FIELDS, FIELDS, LIST_FIELDS, OfferInvalid, offer_text, parse_offer
from engine.directory.search import search_offers
from engine.directory.verification import mark_verified, needs_reverification, reverification_due
from engine.directory.vocabulary import (
    CATEGORIES,
    CHANGE_ACTIONS,
    CONFIDENCE,
    CONFIDENCE_WORDS,
    INCIDENT_TYPES,
    NEEDS,
    field_label,
)
from engine.kernel.numbers import whole_number
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("directory", __name__)
READERS = ("beratung", "teamleitung")


def _context():
    return current_app.extensions["lotse"]


def _vocabularies() -> dict[str, Any]:
    return {
        "lands": land_names(language()),  # names in the request's language
        "categories": CATEGORIES,
        "incident_types": INCIDENT_TYPES,
        "needs": NEEDS,
        "confidence": CONFIDENCE,
    }


def _message(pair: tuple[str, str]) -> str:
    return pair[0] if language() == "de" else pair[1]


@blueprint.get("/verzeichnis")
@requires_role(*READERS)
def index() -> str:
    text = request.args.get("q", "")[:100]
    land = request.args.get("land", "")
    category = request.args.get("kategorie", "")
    retired = request.args.get("zurueckgezogen") == "ja"
    offers = search_offers(_context(), text, land, category, retired)
    return render_template(
        "directory/index.html",
        offers=offers,
        q=text,
        land=land,
        category=category,
        retired=retired,
        **_vocabularies(),
    )


@blueprint.get("/verzeichnis/<int:offer_id>")
@requires_role(*READERS)
def offer(offer_id: int) -> str:
    found, history = read_offer(_context(), offer_id)
    return render_template("directory/offer.html", offer=found, history=history, **_vocabularies())


def _typed() -> dict[str, str]:
    """The edit form as the text forms the engine parses."""
    typed = {name: request.form.get(name, "") for name in FIELDS if name not in LIST_FIELDS + BOOL_FIELDS}
    for name in LIST_FIELDS:
        typed[name] = " ".join(request.form.getlist(name))
    typed["lands"] = typed["lands"] or "bundesweit"
    for name in BOOL_FIELDS:
        typed[name] = "ja" if request.form.get(name) else "nein"
    return typed


def _edit_page(typed: dict[str, str], errors: dict[str, str], offer_id: int | None, version: int | None):
    return render_template(
        "directory/edit.html",
        values=typed,
        errors=errors,
        offer_id=offer_id,
        version=version,
        **_vocabularies(),
    )


@blueprint.route("/verzeichnis/neu", methods=["GET", "POST"])
@requires_role("teamleitung")
def new() -> str | tuple[str, int] | Response:
    if request.method == "GET":
        blank = dict.fromkeys(FIELDS, "") | {"lands": "bundesweit", "confidence": "M", "verify": "ja"}
        return _edit_page(blank, {}, None, None)
    typed = _typed()
    try:
        offer_id = create_offer(_context(), current_user.actor, parse_offer(typed))
    except OfferInvalid as invalid:
        return _refused(typed, invalid, None, None)
    flash(gettext("Eintrag angelegt."), "success")
    return redirect(url_for("directory.offer", offer_id=offer_id))


@blueprint.route("/verzeichnis/<int:offer_id>/bearbeiten", methods=["GET", "POST"])
@requires_role("teamleitung")
def edit(offer_id: int) -> str | tuple[str, int] | Response:
    context = _context()
    found, _ = read_offer(context, offer_id)
    if request.method == "GET":
        return _edit_page(offer_text(found.data), {}, offer_id, found.version)
    typed = _typed() | {"key": found.key}
    seen = request.form.get("version", "")
    try:
        data = parse_offer(typed)
        changes = change_offer(context, current_user.actor, offer_id, data, _seen_version(seen))
    except OfferInvalid as invalid:
        return _refused(typed, invalid, offer_id, found.version)
    except OfferChangedMeanwhile as stale:
        flash(stale.message(language()), "error")
        return _edit_page(typed, {}, offer_id, found.version), 409
    if changes:
        flash(
            gettext(
                "Änderungen gespeichert: %(fields)s.", fields=", ".join(offer_field(name) for name in changes)
            ),
            "success",
        )
    else:
        flash(gettext("Keine Änderung – der Eintrag war bereits so gespeichert."), "info")
    return redirect(url_for("directory.offer", offer_id=offer_id))


def _refused(typed: dict[str, str], invalid: OfferInvalid, offer_id: int | None, version: int | None):
    flash(gettext("Bitte prüfen Sie die markierten Felder. Es wurde nichts gespeichert."), "error")
    errors = {name: _message(pair) for name, pair in invalid.errors.items()}
    return _edit_page(typed, errors, offer_id, version), 422


@blueprint.post("/verzeichnis/<int:offer_id>/zurueckziehen")
@requires_role("teamleitung")
def retire(offer_id: int) -> Response:
    retire_offer(_context(), current_user.actor, offer_id)
    flash(
        gettext("Der Eintrag wird nicht mehr vorgeschlagen; er bleibt mit seiner Geschichte erhalten."),
        "success",
    )
    return redirect(url_for("directory.offer", offer_id=offer_id))


@blueprint.post("/verzeichnis/<int:offer_id>/geprueft")
@requires_role("teamleitung")
def verified(offer_id: int) -> Response:
    mark_verified(_context(), current_user.actor, offer_id)
    flash(gettext("Als heute geprüft vermerkt."), "success")
    if request.form.get("next") == "pruefen":
        return redirect(url_for("directory.reverify"))
    return redirect(url_for("directory.offer", offer_id=offer_id))


@blueprint.get("/verzeichnis/pruefen")
@requires_role("teamleitung")
def reverify() -> str:
    context = _context()
    today = context.clock.now().astimezone(BERLIN).date()
    return render_template(
        "directory/reverify.html",
        offers=needs_reverification(context),
        due=reverification_due(today),
        **_vocabularies(),
    )


@blueprint.get("/verzeichnis/export.csv")
@requires_role("teamleitung")
def export() -> Response:
    return Response(
        export_csv(_context()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=verzeichnis.csv"},
    )


@blueprint.route("/verzeichnis/import", methods=["GET", "POST"])
@requires_role("teamleitung")
def import_csv() -> str | tuple[str, int] | Response:
    if request.method == "GET":
        return render_template("directory/import.html", preview=None, text="")
    text, problem = _uploaded_text()
    if text is None:
        flash(problem, "error")
        return render_template("directory/import.html", preview=None, text=""), 422
    context = _context()
    if request.form.get("confirm") != "ja":
        preview = preview_import(context, text)
        return render_template(
            "directory/import.html", preview=preview, text=text
        ), 200 if preview.ok else 422
    try:
        done = apply_import(context, current_user.actor, text)
    except ImportRefused as refused:
        flash(refused.message(language()), "error")
        return render_template("directory/import.html", preview=refused.preview, text=text), 422
    flash(
        gettext(
            "Import abgeschlossen: %(new)s neu, %(changed)s geändert, %(unchanged)s unverändert.",
            new=done.count("new"),
            changed=done.count("changed"),
            unchanged=done.count("unchanged"),
        ),
        "success",
    )
    return redirect(url_for("directory.index"))


def _uploaded_text() -> tuple[str | None, str]:
    """The uploaded file, or on confirmation the previewed text sent back; else None and what is wrong
    with it, each problem in its own words."""
    upload = request.files.get("datei")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_BYTES + 1)
    else:
        raw = request.form.get("text", "").encode()
        if not raw:
            return None, gettext("Bitte wählen Sie eine CSV-Datei aus.")
    if not raw.strip():
        return None, gettext("Die Datei ist leer – bitte die exportierte CSV-Datei mit Kopfzeile auswählen.")
    if len(raw) > MAX_BYTES:
        return None, gettext("Die Datei ist größer als 2 MB – bitte in kleinere Dateien aufteilen.")
    if b"\x00" in raw:
        return None, gettext(
            "Die Datei ist keine Textdatei (vielleicht eine Excel- oder PDF-Datei). "
            "Bitte als „CSV UTF-8 (durch Trennzeichen getrennt)“ speichern."
        )
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return None, gettext(
            "Die Datei ist nicht UTF-8-kodiert (vermutlich Latin-1/Windows-1252, z. B. aus älterem Excel). "
            "Bitte als „CSV UTF-8 (durch Trennzeichen getrennt)“ speichern."
        )


@blueprint.app_template_filter("offer_field")
def offer_field(name: str) -> str:
    """A directory entry's attribute (``opening_hours``) as people call it."""
    return field_label(name, language())


@blueprint.app_template_filter("offer_change")
def offer_change(action: str) -> str:
    """What happened to an entry (``changed``) as people say it."""
    labels = CHANGE_ACTIONS.get(action)
    return (labels[0] if language() == "de" else labels[1]) if labels else action


@blueprint.app_template_filter("confidence_words")
def confidence_words(code: str) -> str:
    """How reliable an entry is, in a word (hoch, mittel, niedrig)."""
    labels = CONFIDENCE_WORDS.get(code)
    return (labels[0] if language() == "de" else labels[1]) if labels else code


def _seen_version(text: str) -> int:
    """The version the form was made from; -1 (never current) when it is not a number."""
    found = whole_number(text)
    return -1 if found is None else found
