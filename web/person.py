"""The person on the case page: anonym or vertraulich, roles and particulars, contact routes, the contacts
log, links between cases and the merge of a duplicate. The panel is a partial of the case page
(``cases/_person.html``); a refused entry renders the case page again with the message at its field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.calendar.business_calendar import BERLIN
from engine.kernel.errors import DomainError, OutsideNeedToKnow
from engine.kernel.numbers import whole_number
from engine.person.blind_index import RouteInvalid
from engine.person.case_links import LinkInvalid, link_cases
from engine.person.contact_routes import add_route, remove_route
from engine.person.contacts_log import CHANNELS, DIRECTIONS, ContactInvalid, NewContact, log_contact
from engine.person.merge import MergeRefused, merge_case, plan_merge
from engine.person.panel import read_person_panel
from engine.person.privacy import (
    AFFECTED_ROLES,
    MODES,
    SEEKER_ROLES,
    AnonymousCase,
    Particulars,
    PersonInvalid,
    change_mode,
    save_person,
)
from web.case_presence import presence
from web.cases import case_page
from web.i18n import language
from web.task_counts import shared_counts

blueprint = Blueprint("person", __name__)


def _context():
    return current_app.extensions["lotse"]


def person_panel(case_id: int) -> Any:
    """For the case page's partial: read (need to know, audited) once per request."""
    panels = g.setdefault("person_panels", {})
    if case_id not in panels:
        panels[case_id] = read_person_panel(
            _context(), current_user.actor, case_id, present=presence(case_id)
        )
    return panels[case_id]


def person_reach(case_id: int) -> Any:
    """For the task page beside a form: how to reach the person (not the contacts log or linked cases,
    which the task page does not show), or None outside need to know."""
    panels = g.setdefault("person_panels", {})
    if case_id in panels:
        return panels[case_id]
    try:
        return read_person_panel(_context(), current_user.actor, case_id, present=frozenset())
    except OutsideNeedToKnow:
        return None


@blueprint.app_context_processor
def _panel_reader() -> dict[str, Any]:
    return {
        "person_panel": person_panel,
        "person_reach": person_reach,
        "person_choices": {
            "modes": MODES,
            "seeker_roles": SEEKER_ROLES,
            "affected_roles": AFFECTED_ROLES,
            "channels": CHANNELS,
            "directions": DIRECTIONS,
        },
        "person_form": lambda: g.get("person_form") or {"values": {}, "errors": {}, "form": None},
    }


def _again(case_id: int, form: str, refused: DomainError, status: int = 422) -> tuple[str, int]:
    """The case page once more, the typed values kept and the message at the field."""
    field = refused.facts.get("field") or form
    g.person_form = {
        "values": request.form.to_dict(),
        "errors": {field: refused.message(language())},
        "form": form,
    }
    flash(refused.message(language()), "error")
    return case_page(case_id), status


def _back(case_id: int, anchor: str) -> Response:
    return redirect(url_for("cases.case_page", case_id=case_id) + anchor)


@blueprint.post("/faelle/<int:case_id>/person/modus")
@login_required
def set_mode(case_id: int) -> Response | tuple[str, int]:
    wanted = request.form.get("modus", "")
    panel = person_panel(case_id)
    if (
        wanted == "anonym"
        and (panel.routes or panel.person.particulars)
        and not request.form.get("bestaetigt")
    ):
        refused = PersonInvalid(
            "Anonym heißt: Alle Kontaktwege und Angaben zur Person werden gelöscht. Bitte bestätigen Sie das.",
            "Anonymous means: every contact route and particular of the person is deleted. Please confirm.",
            field="bestaetigt",
        )
        return _again(case_id, "modus", refused)
    try:
        deleted = change_mode(_context(), current_user.actor, case_id, wanted)
    except PersonInvalid as refused:
        return _again(case_id, "modus", refused)
    if wanted == "anonym":
        flash(
            gettext("Der Fall ist jetzt anonym; %(num)d Kontaktwege wurden gelöscht.", num=deleted), "success"
        )
    else:
        flash(
            gettext("Der Fall ist jetzt vertraulich: Name und Kontaktwege können erfasst werden."), "success"
        )
    return _back(case_id, "#person")


@blueprint.post("/faelle/<int:case_id>/person")
@login_required
def save_particulars(case_id: int) -> Response | tuple[str, int]:
    form = request.form
    particulars = None
    if any(name in form for name in ("name", "anschrift", "zeiten", "nachricht", "andere")):
        particulars = Particulars(
            name=form.get("name", ""),
            postal_address=form.get("anschrift", ""),
            preferred_times=form.get("zeiten", ""),
            message_allowed=form.get("nachricht") == "ja",
            others_may_answer=form.get("andere", ""),
        )
    try:
        save_person(
            _context(),
            current_user.actor,
            case_id,
            form.get("ratsuchend"),
            form.get("betroffen"),
            particulars,
        )
    except AnonymousCase as refused:
        return _again(case_id, "person", refused, 403)
    except PersonInvalid as refused:
        return _again(case_id, "person", refused)
    flash(gettext("Angaben zur Person gespeichert."), "success")
    return _back(case_id, "#person")


@blueprint.post("/faelle/<int:case_id>/kontaktwege")
@login_required
def add_contact_route(case_id: int) -> Response | tuple[str, int]:
    form = request.form
    try:
        added = add_route(
            _context(),
            current_user.actor,
            case_id,
            form.get("art", ""),
            form.get("wert", ""),
            form.get("bezeichnung", ""),
        )
    except AnonymousCase as refused:
        return _again(case_id, "route", refused, 403)
    except RouteInvalid as refused:
        return _again(case_id, "route", RouteInvalid(refused.german, refused.english, field="wert"))
    flash(
        gettext("Kontaktweg gespeichert.") if added else gettext("Dieser Kontaktweg ist schon erfasst."),
        "success",
    )
    return _back(case_id, "#person")


@blueprint.post("/faelle/<int:case_id>/kontaktwege/<int:route_id>/loeschen")
@login_required
def delete_contact_route(case_id: int, route_id: int) -> Response:
    remove_route(_context(), current_user.actor, case_id, route_id)
    flash(gettext("Kontaktweg gelöscht."), "success")
    return _back(case_id, "#person")


@blueprint.post("/faelle/<int:case_id>/kontakte")
@login_required
def add_contact(case_id: int) -> Response | tuple[str, int]:
    try:
        log_contact(_context(), current_user.actor, case_id, new_contact(request.form))
    except ContactInvalid as refused:
        return _again(case_id, "contact", refused)
    flash(gettext("Kontakt protokolliert."), "success")
    return _back(case_id, "#kontakte")


def new_contact(form: Any) -> NewContact:
    """The contact form's values; a malformed time or duration is refused at its field."""
    at = None
    if form.get("zeitpunkt"):
        try:
            at = datetime.fromisoformat(form["zeitpunkt"]).replace(tzinfo=BERLIN)
        except ValueError:
            raise ContactInvalid(
                "Bitte geben Sie Datum und Uhrzeit an.", "Please give date and time.", field="zeitpunkt"
            ) from None
    minutes = None
    if form.get("dauer", "").strip():
        minutes = whole_number(form["dauer"])
        if minutes is None:
            raise ContactInvalid(
                "Die Dauer ist eine ganze Zahl von Minuten.",
                "The duration is a whole number of minutes.",
                field="dauer",
            )
    return NewContact(
        form.get("kanal", ""), form.get("richtung", ""), at, minutes, form.get("zusammenfassung", "")
    )


@blueprint.post("/faelle/<int:case_id>/verbindungen")
@login_required
def link(case_id: int) -> Response | tuple[str, int]:
    try:
        link_cases(
            _context(),
            current_user.actor,
            case_id,
            request.form.get("aktenzeichen", ""),
            request.form.get("art", ""),
        )
    except LinkInvalid as refused:
        return _again(case_id, "link", refused)
    flash(gettext("Fälle verbunden."), "success")
    return _back(case_id, "#verbindungen")


@blueprint.route("/faelle/<int:case_id>/zusammenfuehren", methods=["GET", "POST"])
@login_required
def merge(case_id: int) -> Response | str | tuple[str, int]:
    """A confirmation page first; the merge itself is idempotent, so a double submit lands on the target."""
    context, actor, target = _context(), current_user.actor, request.values.get("ziel", "")
    if request.method == "GET":
        try:
            plan = plan_merge(context, actor, case_id, target)
        except MergeRefused as refused:
            return _again(case_id, "merge", refused)
        return render_template("cases/merge_confirm.html", case_id=case_id, plan=plan, target=target)
    try:
        merged = merge_case(context, actor, case_id, target)
    except MergeRefused as refused:
        return _again(case_id, "merge", refused)
    shared_counts().clear()
    if merged.already:
        flash(
            gettext(
                "Dieser Fall war bereits in %(reference)s zusammengeführt.", reference=merged.target_reference
            ),
            "success",
        )
    else:
        flash(gettext("Fall zusammengeführt in %(reference)s.", reference=merged.target_reference), "success")
    return redirect(url_for("cases.case_page", case_id=merged.target_id))
