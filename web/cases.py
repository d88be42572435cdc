"""Cases: take a new call or e-mail as an anonymous or confidential case, the case page, notes, the case's diagram."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import date

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.bpmn.forms import validate as validate_form
from engine.bpmn.tasks import FormSpec
from engine.calendar.business_calendar import BERLIN
from engine.cases.case_file import case_bpmn, read_case_file
from engine.cases.incidents import report_incident
from engine.cases.lifecycle import DEFAULT_PROCESS, claim_task, next_task_for
from engine.cases.notes import NoteInvalid, add_note
from engine.cases.retention import LegalHoldInvalid, set_legal_hold
from engine.cases.step_failures import StepFailed, may_retry, retry_step
from engine.kernel.errors import ConcurrentUpdate, DomainError, IncidentNotAccepted, ProcessNotDeployed
from engine.person.blind_index import RouteInvalid
from engine.person.intake import IntakeRoutes, open_case_for_person
from engine.person.privacy import AnonymousCase, PersonInvalid
from engine.processes.start_forms import StartableProcess, startable_processes
from engine.strafantrag.periods import (
    OFFENCES,
    StrafantragImplausible,
    StrafantragInvalid,
    offender_identified,
    record_offence,
)
from web.auth import requires_role
from web.case_presence import remember_presence
from web.headers import diagram_response, model_file
from web.i18n import language
from web.task_counts import shared_counts

blueprint = Blueprint("cases", __name__)
CHANNELS = ("telefon", "email", "video", "portal", "vermittelt")


def _context():
    return current_app.extensions["lotse"]


@blueprint.route("/faelle/neu", methods=["GET", "POST"])
@requires_role("beratung", "teamleitung")
def new_case() -> str | Response | tuple[str, int]:
    processes = startable_processes(_context())
    if request.method == "GET":
        chosen = _chosen_process(processes, request.args.get("prozess"))
        return _new_case_page("telefon", {"modus": "anonym"}, {}, processes=processes, process=chosen)
    form = request.form
    process = _chosen_process(processes, form.get("prozess"))
    channel = form.get("kontaktkanal", "")
    if channel not in CHANNELS:
        flash(gettext("Bitte wählen Sie, wie die Person Kontakt aufgenommen hat."), "error")
        return _new_case_page(None, form, {}, 422, processes, process)
    start_values, invalid = validate_form(process.form if process else FormSpec(), form)
    if invalid:
        messages = {key: pair[0 if language() == "de" else 1] for key, pair in invalid.items()}
        return _new_case_page(channel, form, messages, 422, processes, process)
    context, actor = _context(), current_user.actor
    mode = form.get("modus") or "anonym"  # nothing identifying unless the person agrees
    routes = IntakeRoutes(form.get("telefon", ""), form.get("email", ""))
    key = process.key if process else DEFAULT_PROCESS
    try:
        opened = open_case_for_person(
            context, actor, {**start_values, "kontaktkanal": channel}, mode, routes, process_key=key
        )
    except ProcessNotDeployed as refused:
        flash(refused.message(language()), "error")
        return _new_case_page(channel, form, {}, 503, processes, process)
    except (AnonymousCase, PersonInvalid, RouteInvalid) as refused:
        field = refused.facts.get("field") or "modus"
        return _new_case_page(channel, form, {field: refused.message(language())}, 422, processes, process)
    except StepFailed as failed:  # the model's first steps could not run: nothing was stored
        flash(failed.message(language()), "error")
        return _new_case_page(channel, form, {}, 422, processes, process)
    shared_counts().clear()
    if mode == "anonym":
        flash(
            gettext("Fall %(reference)s angelegt – anonym, ohne Namen.", reference=opened.reference),
            "success",
        )
    else:
        flash(gettext("Fall %(reference)s angelegt – vertraulich.", reference=opened.reference), "success")
    first = next_task_for(context, actor, opened.case_id)
    if first is None:
        return redirect(url_for("cases.case_page", case_id=opened.case_id))
    with contextlib.suppress(DomainError):  # someone else took it meanwhile; the task page says so
        claim_task(context, actor, first)
    return redirect(url_for("tasks.task_page", task_id=first))


def _chosen_process(processes: list[StartableProcess], key: str | None) -> StartableProcess | None:
    """The process asked for, else the built-in one (else the first that can be started)."""
    by_key = {process.key: process for process in processes}
    return by_key.get(key or "") or by_key.get(DEFAULT_PROCESS) or (processes[0] if processes else None)


def _new_case_page(
    chosen: str | None,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 200,
    processes: list[StartableProcess] | None = None,
    process: StartableProcess | None = None,
) -> tuple[str, int]:
    page = render_template(
        "cases/new.html",
        channels=CHANNELS,
        chosen=chosen,
        values=values,
        errors=errors,
        processes=processes or [],
        process=process,
    )
    return page, status


@blueprint.get("/faelle/<int:case_id>")
@login_required
def case_page(case_id: int) -> str | tuple[str, int]:
    return _case_page(case_id)


def _case_page(
    case_id: int,
    offence_form: dict[str, str] | None = None,
    note: dict[str, str] | None = None,
    offender_form: dict[str, str] | None = None,
) -> str | tuple[str, int]:
    context = _context()
    case = read_case_file(context, current_user.actor, case_id)
    remember_presence(case.id, case.present)
    today = context.clock.now().astimezone(BERLIN).date()
    return render_template(
        "cases/case.html",
        case=case.in_language(language()),
        today=today,
        offences=OFFENCES,
        offence_form=offence_form or {},
        note=note or {},
        offender_form=offender_form or {},
        may_retry=may_retry(current_user.actor),
    )


@blueprint.post("/faelle/<int:case_id>/notizen")
@login_required
def add_case_note(case_id: int) -> Response | tuple[str, int]:
    text = request.form.get("text", "")
    try:
        add_note(_context(), current_user.actor, case_id, text)
    except NoteInvalid as refused:  # said at the field, with what was typed kept
        flash(gettext("Die Notiz wurde nicht gespeichert – siehe unten bei „Neue Notiz“."), "error")
        return _case_page(case_id, note={"text": text, "error": refused.message(language())}), 422
    flash(gettext("Notiz gespeichert."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#notizen")


@blueprint.post("/faelle/<int:case_id>/rechtliche-sperre")
@requires_role("teamleitung")
def legal_hold(case_id: int) -> Response | tuple[str, int]:
    """Team leads set or lift the legal hold that keeps a case from the retention purge: after a
    confirmation that asks for the reason, which is audited."""
    wanted = request.form.get("hold")
    if wanted not in ("ja", "nein"):
        flash(gettext("Ungültige Angabe – es wurde nichts geändert."), "error")
        return redirect(url_for("cases.case_page", case_id=case_id) + "#aufbewahrung")
    reason = request.form.get("grund", "")
    if request.form.get("bestaetigt") != "ja":
        return _legal_hold_confirmation(case_id, wanted, reason, None)
    try:
        set_legal_hold(_context(), current_user.actor, case_id, wanted == "ja", reason=reason)
    except LegalHoldInvalid as refused:
        return _legal_hold_confirmation(case_id, wanted, reason, refused.message(language()))
    if wanted == "ja":
        flash(gettext("Rechtliche Sperre gesetzt: Der Fall wird nicht gelöscht."), "success")
    else:
        flash(gettext("Rechtliche Sperre aufgehoben."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#aufbewahrung")


def _legal_hold_confirmation(case_id: int, wanted: str, reason: str, error: str | None) -> tuple[str, int]:
    case = read_case_file(_context(), current_user.actor, case_id)
    if wanted == "ja":
        title = gettext("Rechtliche Sperre setzen?")
        explanation = gettext(
            "Der Fall wird dann nach Ablauf der Aufbewahrungsfrist nicht gelöscht, bis die Sperre "
            "aufgehoben wird."
        )
    else:
        title = gettext("Rechtliche Sperre aufheben?")
        explanation = gettext(
            "Der Inhalt wird dann nach Ablauf der Aufbewahrungsfrist gelöscht; das lässt sich nicht "
            "rückgängig machen."
        )
    page = render_template(
        "cases/confirm.html",
        case=case,
        title=title,
        explanation=explanation,
        action=url_for("cases.legal_hold", case_id=case_id),
        hidden={"hold": wanted},
        confirm_label=title.rstrip("?"),
        reason={
            "label": gettext("Grund"),
            "value": reason,
            "error": error,
            "hint": gettext(
                "Zum Beispiel das Verfahren oder die Anfrage – keine Inhalte des Falls; der Grund wird protokolliert."
            ),
        },
    )
    return page, 422 if error else 200


@blueprint.get("/faelle/<int:case_id>/prozess.bpmn")
@login_required
@model_file
def case_diagram(case_id: int) -> Response:
    """The BPMN of the process version this case runs on, for the diagram on the case page."""
    return diagram_response(case_bpmn(_context(), current_user.actor, case_id))


@blueprint.post("/faelle/<int:case_id>/neuer-vorfall")
@requires_role("beratung", "teamleitung")
def new_incident(case_id: int) -> Response | str:
    """Start the re-assessment of an open case (after a confirmation) and go straight to its first task."""
    context, actor = _context(), current_user.actor
    if request.form.get("bestaetigt") != "ja":
        return render_template(
            "cases/confirm.html",
            case=read_case_file(context, actor, case_id),
            title=gettext("Neuen Vorfall erfassen?"),
            explanation=gettext(
                "Die Person meldet einen neuen Vorfall: Das Risiko wird neu eingeschätzt, und eine höhere "
                "Stufe verkürzt sofort alle offenen Fristen dieses Falls."
            ),
            action=url_for("cases.new_incident", case_id=case_id),
            hidden={},
            confirm_label=gettext("Neuen Vorfall erfassen"),
            reason=None,
        )
    try:
        reported = report_incident(context, actor, case_id)
    except (IncidentNotAccepted, ConcurrentUpdate, StepFailed) as refused:
        flash(refused.message(language()), "error")
        return redirect(url_for("cases.case_page", case_id=case_id))
    shared_counts().clear()
    flash(gettext("Neuer Vorfall erfasst: Bitte schätzen Sie das Risiko neu ein."), "success")
    if reported.task_id is None:
        return redirect(url_for("cases.case_page", case_id=case_id))
    with contextlib.suppress(DomainError):
        claim_task(context, actor, reported.task_id)
    return redirect(url_for("tasks.task_page", task_id=reported.task_id))


@blueprint.post("/faelle/<int:case_id>/stoerungen/<int:failure_id>/erneut")
@requires_role("teamleitung", "prozessverantwortung")
def retry_failed_step(case_id: int, failure_id: int) -> Response:
    """Team leads and process owners release a failed step for another try (after the model was fixed)."""
    failure = retry_step(_context(), current_user.actor, failure_id, case_id)
    if failure.step == "timer":
        flash(
            gettext(
                "Der Schritt wird bei der nächsten Fristenprüfung erneut versucht (spätestens in einer Minute)."
            ),
            "success",
        )
    else:
        flash(
            gettext("Die Störung ist als erledigt vermerkt; der Schritt kann erneut ausgeführt werden."),
            "success",
        )
    return redirect(url_for("cases.case_page", case_id=failure.case_id or case_id))


@blueprint.post("/faelle/<int:case_id>/strafantrag")
@requires_role("beratung", "teamleitung")
def add_offence(case_id: int) -> Response | tuple[str, int]:
    """Note an offence that needs a Strafantrag; an unknown offender leaves the period not yet running."""
    form = request.form
    try:
        offender = None if form.get("taeter_unbekannt") else _date(form.get("kenntnis_taeter"), required=True)
        record_offence(
            _context(),
            current_user.actor,
            case_id,
            form.get("delikt", ""),
            _date(form.get("kenntnis_tat"), required=False),
            offender,
            confirmed=form.get("daten_bestaetigt") == "ja",
        )
    except StrafantragImplausible as unlikely:  # said at the field: correct the dates or confirm them
        return _case_page(case_id, offence_form={**form, "warning": unlikely.message(language())}), 422
    except (StrafantragInvalid, ConcurrentUpdate, StepFailed) as refused:
        flash(refused.message(language()), "error")
        return _case_page(case_id, offence_form=dict(form)), 422
    shared_counts().clear()
    flash(gettext("Strafantragsfrist erfasst."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#strafantrag")


@blueprint.post("/faelle/<int:case_id>/strafantrag/<int:offence_id>/taeter")
@requires_role("beratung", "teamleitung")
def add_offender(case_id: int, offence_id: int) -> Response | tuple[str, int]:
    """The person now knows the offender: the Strafantrag period starts."""
    try:
        known = _date(request.form.get("kenntnis_taeter"), required=True)
        confirmed = request.form.get("daten_bestaetigt") == "ja"
        offender_identified(_context(), current_user.actor, case_id, offence_id, known, confirmed=confirmed)
    except StrafantragImplausible as unlikely:
        offender = {"id": str(offence_id), "value": request.form.get("kenntnis_taeter", "")}
        return _case_page(case_id, offender_form={**offender, "warning": unlikely.message(language())}), 422
    except (StrafantragInvalid, ConcurrentUpdate, StepFailed) as refused:
        flash(refused.message(language()), "error")
        return _case_page(case_id), 422
    shared_counts().clear()
    flash(gettext("Täter erfasst: Die Strafantragsfrist läuft."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#strafantrag")


def _date(text: str | None, required: bool) -> date | None:
    """A date from a date field; a missing or malformed one is refused with a clear message."""
    if not text:
        if required:
            raise StrafantragInvalid(
                "Bitte geben Sie an, wann die Person vom Täter erfahren hat – oder kreuzen Sie „Täter unbekannt“ an.",
                "Please give the date the person learned who the offender is, or tick 'offender unknown'.",
            )
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StrafantragInvalid(
            f"„{text[:20]}“ ist kein gültiges Datum.", f"'{text[:20]}' is not a valid date."
        ) from None
