"""Finding a case again: the search behind the header's box, ``/faelle/<reference>``, the pointer of a merged
case, and at intake the hint that a typed phone number or address belongs to an existing case."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.calendar.laender import GERMAN_LANDS
from engine.person.blind_index import RouteInvalid
from engine.person.case_search import CaseQuery, find_case, merge_target_of, search_cases
from engine.person.contacts_log import ContactInvalid, log_contact
from engine.person.intake import IntakeRoutes, known_cases
from engine.store.projection import RISK_LEVELS
from web.auth import requires_role
from web.cases import case_page
from web.i18n import language
from web.person import new_contact

blueprint = Blueprint("search", __name__)
STATUSES = ("open", "closed")
# how a contact taken at intake enters the contacts log
INTAKE_CHANNELS = {
    "telefon": "anruf",
    "email": "email",
    "video": "video",
    "portal": "email",
    "vermittelt": "anruf",
}


def _context():
    return current_app.extensions["lotse"]


@blueprint.before_app_request
def _merged_case_points_to_its_target() -> Response | None:
    """A merged case's page (by id or reference) leads to the case it was merged into."""
    if (
        request.endpoint not in ("cases.case_page", "search.case_by_reference")
        or not current_user.is_authenticated
    ):
        return None
    args = request.view_args or {}
    case_id = args.get("case_id") or find_case(_context(), args.get("reference", ""))
    target = merge_target_of(_context(), case_id) if case_id else None
    if target is None:
        return None
    flash(
        gettext("Dieser Fall wurde in einen anderen Fall zusammengeführt; Sie sehen jetzt diesen."), "success"
    )
    return redirect(url_for("cases.case_page", case_id=target))


@blueprint.get("/faelle/<reference>")
@login_required
def case_by_reference(reference: str) -> str | tuple[str, int]:
    """``/faelle/2026-00013``: the case page under its reference (ids go to ``/faelle/<id>``)."""
    case_id = find_case(_context(), reference)
    if case_id is None:
        abort(404)
    return case_page(case_id)


def _date(name: str, errors: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = gettext("Bitte geben Sie ein gültiges Datum an.")
        return None


@blueprint.get("/suche")
@login_required
def search() -> str | tuple[str, int]:
    args, errors = request.args, {}
    query = CaseQuery(
        text=args.get("q", "").strip()[:200],
        land=args.get("land") if args.get("land") in GERMAN_LANDS else None,
        office_type=(args.get("amt") or "").strip()[:40] or None,
        risk_level=args.get("risiko") if args.get("risiko") in RISK_LEVELS else None,
        status=args.get("status") if args.get("status") in STATUSES else None,
        opened_from=_date("von", errors),
        opened_to=_date("bis", errors),
    )
    searched = any(args.get(name) for name in ("q", "land", "amt", "risiko", "status", "von", "bis"))
    result = None
    if searched and not errors:
        try:
            result = search_cases(_context(), current_user.actor, query)
        except RouteInvalid as invalid:
            errors["q"] = invalid.message(language())
    page = render_template(
        "search/results.html",
        query=query,
        result=result,
        errors=errors,
        lands=sorted(GERMAN_LANDS),
        risks=RISK_LEVELS,
        statuses=STATUSES,
    )
    return (page, 422) if errors else page


@blueprint.get("/faelle/neu/bekannt")
@requires_role("beratung", "teamleitung")
def known_at_intake() -> str:
    """The htmx partial beside the intake's phone and e-mail fields: does this person have a case?"""
    routes = IntakeRoutes(request.args.get("telefon", "")[:60], request.args.get("email", "")[:200])
    found = known_cases(_context(), current_user.actor, routes) if routes.entered() else []
    return render_template("cases/_repeat_contact.html", found=found)


@blueprint.post("/faelle/neu/zu-fall/<int:case_id>")
@requires_role("beratung", "teamleitung")
def contact_to_known_case(case_id: int) -> Response:
    """Instead of opening a new case: the contact is logged on the existing one."""
    form = request.form.to_dict()
    form.setdefault("kanal", INTAKE_CHANNELS.get(form.get("kontaktkanal", ""), "anruf"))
    form.setdefault("richtung", "eingehend")
    try:
        log_contact(_context(), current_user.actor, case_id, new_contact(form))
    except ContactInvalid as refused:
        flash(refused.message(language()), "error")
        return redirect(url_for("cases.new_case"))
    flash(gettext("Kontakt im bestehenden Fall protokolliert; es wurde kein neuer Fall angelegt."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#kontakte")
