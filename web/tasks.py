"""The task page: the form generated from the model, validated on the server, safe against stale tabs."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine.bpmn.tasks import FormSpec
from engine.cases.appointments import appointment_of
from engine.cases.lifecycle import claim_task, submit_task
from engine.cases.notes import NoteInvalid, add_note
from engine.cases.risk_lowering import DECISION_FIELD, SecondPersonNeeded
from engine.cases.step_failures import StepFailed
from engine.cases.task_sheet import form_of_task, read_task_sheet
from engine.directory.vocabulary import CATEGORIES, NEEDS
from engine.kernel.errors import (
    DomainError,
    FormInvalid,
    NotFound,
    OutsideNeedToKnow,
    TaskAlreadyCompleted,
    TaskCancelled,
    TaskClaimedByOther,
)
from engine.kernel.numbers import whole_number
from engine.referrals.consent import SHAREABLE, Choice
from engine.referrals.follow_up import FOLLOW_UP
from engine.referrals.prevention import prevention_offers as ranked_prevention_offers
from engine.referrals.recording import STATUSES, ReferralInvalid
from engine.referrals.steps import referral_step
from engine.staff.accounts import active_colleagues
from web.channels import new_message_case
from web.formatting import who
from web.i18n import language
from web.request_scope import reading
from web.task_counts import shared_counts

blueprint = Blueprint("tasks", __name__)
STALE = (TaskAlreadyCompleted, TaskCancelled, TaskClaimedByOther)
REFERRAL_TEXTS = {
    "categories": CATEGORIES,
    "needs": NEEDS,
    "refine_needs": ("sicherheit", "recht", "psychosozial", "praevention", "online_meldung", "adressschutz"),
    "statuses": STATUSES,
    "follow_up": FOLLOW_UP,
    "shareable": SHAREABLE,
}
_CHOICE = re.compile(r"^ref-([0-9]{1,10})$")
_OUTCOME = re.compile(r"^outcome-([0-9]{1,10})$")


def _context():
    return current_app.extensions["lotse"]


def _submitted(form: FormSpec) -> dict[str, Any]:
    """The raw values of the declared fields only; multi-selects as lists."""
    raw: dict[str, Any] = {}
    for field in form.fields:
        if field.type == "enum" and field.multiple:
            raw[field.id] = request.form.getlist(field.id)
        else:
            raw[field.id] = request.form.get(field.id)
    return raw


def _referral_input() -> tuple[list[Choice], dict[int, str]]:
    """The offers chosen at Vermittlung (with consent per recipient) and the outcomes set at Nachfassen."""
    choices = []
    for offer_id, value in _chosen():
        prefix = f"ref-{offer_id}"
        choices.append(
            Choice(
                offer_id=offer_id,
                status=value,
                consent=request.form.get(f"{prefix}-consent") == "true",
                facts=tuple(request.form.getlist(f"{prefix}-facts")),
                contact=request.form.get(f"{prefix}-contact", ""),
                identity_checked=request.form.get(f"{prefix}-identity") == "true",
            )
        )
    outcomes = {
        number: value
        for name, value in request.form.items()
        if (found := _OUTCOME.match(name)) and value and (number := whole_number(found.group(1))) is not None
    }
    return choices, outcomes


def _refinement(source: MultiDict, prefix: str = "") -> dict[str, Any]:
    """What the counsellor told the proposals: the refine form's fields (``bedarf``, ``frau``,
    ``suche``), or on a submitted task form the panel's copies of them (``panel-…``); on a POST also
    the offers chosen so far, so that they stay on the page."""
    return {
        "needs": tuple(source.getlist(prefix + "bedarf"))[:20],
        "woman": {"ja": True, "nein": False}.get(source.get(prefix + "frau", "")),
        "search": source.get(prefix + "suche", ""),
        "keep": tuple(offer_id for offer_id, _ in _chosen()) if request.method == "POST" else (),
    }


def _chosen() -> list[tuple[int, str]]:
    """The panel's ``ref-<offer id>`` fields that name a choice: (offer id, status)."""
    return [
        (number, value)
        for name, value in request.form.items()
        if value and (found := _CHOICE.match(name)) and (number := whole_number(found.group(1))) is not None
    ]


def _render(sheet, values: dict[str, Any], errors: dict[str, str], ref_errors: dict[str, str] | None = None):
    return render_template(
        "tasks/task.html",
        colleagues=_colleagues(sheet),
        sheet=sheet.in_language(language()),
        values=values,
        errors=errors,
        ref=REFERRAL_TEXTS,
        ref_errors=ref_errors or {},
    )


def _colleagues(sheet) -> list[tuple[str, str, frozenset[str]]]:
    """Whom a team lead may hand an escalated step to (only on an escalation task)."""
    if not sheet.escalated or not current_user.actor.is_team_lead:
        return []
    connection = reading()
    try:
        return active_colleagues(connection)
    finally:
        connection.rollback()


def _sheet_or_refusal(task_id: str, refinement: dict[str, Any]):
    try:
        return read_task_sheet(_context(), current_user.actor, task_id, **refinement), None
    except STALE as gone:
        return None, gone


@blueprint.app_template_global()
def prevention_offers(case_id: int) -> list:
    """The directory's prevention offers on the prevention step (``tasks/_prevention.html``)."""
    return ranked_prevention_offers(_context(), current_user.actor, case_id)


@blueprint.get("/aufgaben/<task_id>")
@login_required
def task_page(task_id: str) -> str | tuple[str, int] | Response:
    appointment_id = appointment_of(task_id)  # an agreed callback's task: its own page (web.appointments)
    if appointment_id is not None:
        return redirect(url_for("appointments.appointment_page", appointment_id=appointment_id))
    if (case_id := new_message_case(task_id)) is not None:  # "Neue Nachricht": the case's conversation
        return redirect(url_for("cases.case_page", case_id=case_id) + "#nachrichten")
    sheet, gone = _sheet_or_refusal(task_id, _refinement(request.args))
    if gone is not None:
        return render_template(
            "tasks/gone.html", message=_said_with_names(gone), typed=None, case_id=gone.facts.get("case_id")
        ), 409
    return _render(sheet, sheet.initial, {})


@blueprint.post("/aufgaben/<task_id>")
@login_required
def submit(task_id: str) -> str | tuple[str, int] | Response:
    context, actor = _context(), current_user.actor
    typed: dict[str, Any] = {}

    def read(form: FormSpec) -> dict[str, Any]:
        typed.update(_submitted(form))
        return typed

    choices, outcomes = _referral_input()
    try:
        done = submit_task(
            context, actor, task_id, read, alongside=referral_step(choices, outcomes, actor, context.calendar)
        )
    except FormInvalid as invalid:
        return _invalid(task_id, invalid, typed)
    except ReferralInvalid as refused:
        return _invalid(task_id, refused, typed)
    except SecondPersonNeeded as refused:  # four eyes: say it at the decision, keep what was typed
        return _invalid(task_id, FormInvalid({DECISION_FIELD: (refused.german, refused.english)}), typed)
    except STALE as lost:
        return _lost(task_id, lost)
    except StepFailed as failed:
        return _failed(task_id, failed, typed)
    shared_counts().clear()
    flash(gettext("„%(title)s“ ist erledigt.", title=done.title), "success")
    if done.next_task_id is not None:
        return redirect(url_for("tasks.task_page", task_id=done.next_task_id))
    flash({"case_id": done.case_id}, "case-link")  # the inbox offers the way back to the case
    return redirect(url_for("inbox.inbox"))


@blueprint.post("/aufgaben/<task_id>/vorschlaege")
@login_required
def referral_proposals(task_id: str) -> str | tuple[str, int, dict[str, str]]:
    """The Vermittlung's referral panel alone, refined or searched without leaving the page (htmx posts
    the refine form with the panel's fields): the choices made so far come back as they were."""
    sheet, gone = _sheet_or_refusal(task_id, _refinement(request.form))
    if gone is not None:  # keep the panel with its choices; say so next to the refine form
        html = render_template("tasks/_referrals_gone.html", message=_said_with_names(gone))
        return html, 200, {"HX-Retarget": "#referral-refine", "HX-Reswap": "afterend"}
    if sheet.referrals is None or sheet.referrals.step != "vermittlung":
        abort(404)
    return render_template("tasks/_referrals.html", sheet=sheet, ref=REFERRAL_TEXTS, ref_errors={})


def _lost(task_id: str, lost: DomainError) -> tuple[str, int] | Response:
    """The task went away before the submit: read its form (only now) to show what was typed."""
    found = form_of_task(_context(), current_user.actor, task_id)
    typed = _submitted(found.form)
    if _by_me(lost) and found.repeats_submission(typed):
        flash(
            gettext("Sie haben diese Aufgabe bereits erledigt; das doppelte Absenden wurde ignoriert."),
            "info",
        )
        return redirect(url_for("inbox.inbox"))
    return _gone(task_id, lost, typed, found.form, found.case_id)


def _by_me(gone: DomainError) -> bool:
    return isinstance(gone, TaskAlreadyCompleted) and gone.facts.get("by") == current_user.member.username


def _invalid(
    task_id: str, invalid: FormInvalid | ReferralInvalid, raw: dict[str, Any]
) -> tuple[str, int] | Response:
    """Show the form again with the messages at their fields (or referrals) and what was typed."""
    sheet, gone = _sheet_or_refusal(task_id, _refinement(request.form, "panel-"))
    if gone is not None:
        return _gone(task_id, gone, raw, None, gone.facts.get("case_id"))
    messages = {key: pair[0 if language() == "de" else 1] for key, pair in invalid.errors.items()}
    if isinstance(invalid, ReferralInvalid):
        flash(invalid.message(language()), "error")
        return _render(sheet, raw, {}, messages), 422
    flash(gettext("Bitte prüfen Sie die markierten Felder."), "error")
    return _render(sheet, raw, messages), 422


def _failed(task_id: str, failed: StepFailed, raw: dict[str, Any]) -> tuple[str, int] | Response:
    """The model code behind the step could not run: nothing was stored. Say so with the reference,
    and show the form again with what was typed."""
    sheet, gone = _sheet_or_refusal(task_id, _refinement(request.form, "panel-"))
    if gone is not None:
        return _gone(task_id, gone, raw, None, gone.facts.get("case_id"))
    flash(failed.message(language()), "error")
    return _render(sheet, raw, {}), 422


def _gone(
    task_id: str, gone: DomainError, typed: dict[str, Any], form: FormSpec | None, case_id: int | None
) -> tuple[str, int] | Response:
    """The task changed under the person: say who and when, and keep what they typed. The person's own
    earlier submit with other values (a second tab) is said as such, with the same offer."""
    message = _said_with_names(gone)
    if _by_me(gone):
        message = gettext(
            "Sie haben diese Aufgabe bereits erledigt (etwa in einem anderen Fenster), mit anderen Eingaben "
            "als diesen."
        )
    typed = {
        key: value for key, value in typed.items() if key != "csrf_token" and value not in (None, "", [])
    }
    return render_template(
        "tasks/gone.html",
        message=message,
        typed=typed,
        form=form,
        case_id=case_id,
        task_id=task_id,
    ), 409


@blueprint.post("/aufgaben/<task_id>/eingaben-als-notiz")
@login_required
def keep_as_note(task_id: str) -> Response:
    """Save what was typed into a task that someone else completed as a note on the case."""
    case_id = whole_number(request.form.get("case_id"))
    lines = [
        f"{key}: {value}"
        for key, value in request.form.items(multi=True)
        if key not in ("csrf_token", "case_id") and value
    ]
    if case_id is None or not lines:
        abort(400)
    header = gettext("Nicht übernommene Eingaben zur Aufgabe %(task)s:", task=task_id[:8])
    try:
        add_note(_context(), current_user.actor, case_id, "\n".join([header, *lines]))
    except (NoteInvalid, NotFound) as refused:  # the case is gone or the note empty: say so in the inbox
        flash(refused.message(language()), "error")
        return redirect(url_for("inbox.inbox"))
    flash(gettext("Ihre Eingaben wurden als Notiz am Fall gespeichert."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id))


@blueprint.post("/aufgaben/<task_id>/uebernehmen-und-bearbeiten")
@login_required
def claim_and_open(task_id: str) -> Response:
    try:
        claim_task(_context(), current_user.actor, task_id)
    except OutsideNeedToKnow:
        raise  # 403 from the error handler: nothing about a task of a case the person may not see
    except DomainError as refused:
        flash(refused.message(language()), "error")
    return redirect(url_for("tasks.task_page", task_id=task_id))


def _said_with_names(gone: DomainError) -> str:
    """The refusal in the person's language, naming the colleague who completed the task, not their login."""
    if isinstance(gone, TaskAlreadyCompleted) and gone.facts.get("by"):
        gone = TaskAlreadyCompleted(who(gone.facts["by"]), gone.facts.get("at"))
    return gone.message(language())
