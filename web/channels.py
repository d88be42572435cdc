"""E-Mail sichten (/posteingang): messages that belong to no case yet, and the refused ones for administrators."""

from __future__ import annotations

from email.utils import parseaddr

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.channels.intake_tasks import claim_intake, release_intake
from engine.channels.pending_mail import pending_mail
from engine.channels.referral_answers import (
    ConfirmationRefused,
    confirm_referral,
    referral_answer,
    referral_threads,
)
from engine.channels.replies import (
    ReplyRefused,
    case_conversation,
    case_of_message_task,
    messages_read,
    send_reply,
)
from engine.channels.triage import (
    TriageRefused,
    add_message_to_case,
    discard_message,
    open_case_from_message,
    read_message,
    refused_messages,
    triage_queue,
)
from engine.kernel.errors import DomainError
from engine.kernel.numbers import whole_number
from engine.kernel.settings import SmtpSettings
from engine.person.blind_index import RouteInvalid
from engine.person.case_search import CaseQuery, search_cases
from engine.person.intake import IntakeRoutes, known_cases
from engine.referrals.delivery import case_deliveries
from web.auth import requires_role
from web.case_presence import known_empty
from web.cases import case_page
from web.i18n import language
from web.inbox import after_inbox_action, wanted_view
from web.task_counts import shared_counts

blueprint = Blueprint("channels", __name__)
COUNSELS = ("beratung", "teamleitung")


def _context():
    return current_app.extensions["lotse"]


@blueprint.get("/posteingang")
@requires_role(*COUNSELS)
def queue() -> str:
    return render_template("channels/queue.html", entries=triage_queue(_context(), current_user.actor))


@blueprint.get("/posteingang/<int:message_id>")
@requires_role(*COUNSELS)
def message_page(message_id: int) -> str:
    return _message(message_id, {}, {})


def _message(message_id: int, errors: dict[str, str], form: dict[str, str]) -> str:
    view = read_message(_context(), current_user.actor, message_id)
    found, search = (), request.args.get("suche", "").strip()[:200]
    if view.status == "triage":
        found, search = _cases_of_person(view, search, errors)
    return render_template(
        "channels/message.html", view=view, errors=errors, form=form, found=found, search=search
    )


def _cases_of_person(view, search: str, errors: dict[str, str]) -> tuple[tuple, str]:
    """Cases the message may belong to: what the counsellor searched for, else those of the sender's
    address (or the contact route given on the contact page) through the blind index."""
    if search:
        try:
            return search_cases(_context(), current_user.actor, CaseQuery(text=search)).hits, search
        except RouteInvalid as invalid:
            errors["search"] = invalid.message(language())
            return (), search
    sender = parseaddr(view.document.get("from", ""))[1] or view.document.get("from", "")
    routes = IntakeRoutes(email=sender) if "@" in sender else IntakeRoutes(phone=sender[:60])
    return tuple(known_cases(_context(), current_user.actor, routes)), sender


@blueprint.post("/posteingang/<int:message_id>/fall")
@requires_role(*COUNSELS)
def open_case(message_id: int) -> str | Response | tuple[str, int]:
    try:
        opened = open_case_from_message(_context(), current_user.actor, message_id)
    except TriageRefused as refused:
        return _message(message_id, {refused.field: refused.message(language())}, {}), 409
    shared_counts().clear()
    flash(
        gettext("Fall %(reference)s eröffnet; die Nachricht liegt im Fall.", reference=opened.reference),
        "success",
    )
    return redirect(url_for("cases.case_page", case_id=opened.case_id))


@blueprint.post("/posteingang/<int:message_id>/zuordnen")
@requires_role(*COUNSELS)
def add_to_case(message_id: int) -> str | Response | tuple[str, int]:
    reference = request.form.get("aktenzeichen", "")
    try:
        case_id = add_message_to_case(_context(), current_user.actor, message_id, reference)
    except TriageRefused as refused:
        return _message(message_id, {refused.field: refused.message(language())}, dict(request.form)), 422
    flash(gettext("Die Nachricht wurde dem Fall zugeordnet."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id))


@blueprint.post("/posteingang/<int:message_id>/verwerfen")
@requires_role(*COUNSELS)
def discard(message_id: int) -> str | Response | tuple[str, int]:
    try:
        discard_message(_context(), current_user.actor, message_id, request.form.get("grund", ""))
    except TriageRefused as refused:
        return _message(message_id, {refused.field: refused.message(language())}, dict(request.form)), 422
    flash(gettext("Die Nachricht wurde verworfen."), "success")
    return redirect(url_for("channels.queue"))


@blueprint.post("/posteingang/<int:message_id>/uebernehmen")
@requires_role(*COUNSELS)
def claim(message_id: int) -> str | Response:
    return _task_action(claim_intake, message_id, gettext("Aufgabe übernommen."))


@blueprint.post("/posteingang/<int:message_id>/freigeben")
@requires_role(*COUNSELS)
def release(message_id: int) -> str | Response:
    return _task_action(release_intake, message_id, gettext("Aufgabe an die Gruppe zurückgegeben."))


def _task_action(action, message_id: int, done: str) -> str | Response:
    """Claim or release an "E-Mail sichten" task from the inbox (back to the list) or the message page."""
    try:
        action(_context(), current_user.actor, message_id)
    except DomainError as refused:
        flash(refused.message(language()), "error")
    else:
        flash(done, "success")
    shared_counts().clear()
    if request.form.get("zurueck") == "nachricht":
        return redirect(url_for("channels.message_page", message_id=message_id))
    return after_inbox_action(wanted_view(request.form))


@blueprint.get("/verwaltung/abgewiesen")
@requires_role("administration")
def refused() -> str:
    return render_template("channels/refused.html", entries=refused_messages(_context(), current_user.actor))


@blueprint.app_template_global()
def conversation_of(case_id: int) -> list:
    """The case page's conversation (``cases/_conversation.html``)."""
    if known_empty(case_id, "messages_in", "messages_out"):
        return []
    mail_configured = SmtpSettings.from_environment() is not None
    return case_conversation(_context(), current_user.actor, case_id, mail_configured)


@blueprint.post("/faelle/<int:case_id>/antwort")
@requires_role(*COUNSELS)
def reply(case_id: int) -> Response:
    answering = request.form.get("an", "")
    try:
        send_reply(
            _context(),
            current_user.actor,
            case_id,
            request.form.get("nachricht", ""),
            answering=whole_number(answering, 1),
        )
    except ReplyRefused as refused:
        # the case page again, with what was typed still in the form (never in a URL: those end up in
        # the web server's access log and the browser's history)
        flash(refused.message(language()), "error")
        page = case_page(case_id)
        return (page, 422) if isinstance(page, str) else page
    shared_counts().clear()
    flash(gettext("Die Antwort ist gespeichert; der Verlauf zeigt, ob sie versandt ist."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#nachrichten")


@blueprint.post("/faelle/<int:case_id>/nachrichten-gelesen")
@requires_role(*COUNSELS)
def read(case_id: int) -> Response:
    messages_read(_context(), current_user.actor, case_id)
    shared_counts().clear()
    return redirect(url_for("cases.case_page", case_id=case_id) + "#nachrichten")


def new_message_case(task_id: str) -> int | None:
    """For the task page: the case of a "Neue Nachricht" task (None for every other task)."""
    return case_of_message_task(_context(), task_id)


@blueprint.app_template_global()
def pending_outbox() -> list:
    """The Postausgang page's messages that wait to be sent (``admin/_pending_mail.html``)."""
    return pending_mail(_context(), SmtpSettings.from_environment() is not None)


@blueprint.app_template_global()
def referral_threads_of(case_id: int) -> dict:
    """The case page's referral threads: the handover e-mail's delivery and the services' answers."""
    mail_configured = SmtpSettings.from_environment() is not None
    return referral_threads(_context(), current_user.actor, case_id, mail_configured)


@blueprint.app_template_global()
def handover_deliveries_of(case_id: int) -> dict:
    """The task page's referral panel: whether each handover e-mail has left the outbox."""
    mail_configured = SmtpSettings.from_environment() is not None
    return case_deliveries(_context(), current_user.actor, case_id, mail_configured)


CONFIRM = "/faelle/<int:case_id>/vermittlungen/<int:referral_id>/bestaetigen/<int:message_id>"


@blueprint.get(CONFIRM)
@requires_role(*COUNSELS)
def confirm_page(case_id: int, referral_id: int, message_id: int) -> str:
    return _confirm_page(case_id, referral_id, message_id, {})


def _confirm_page(case_id: int, referral_id: int, message_id: int, errors: dict[str, str]) -> str:
    answer = referral_answer(_context(), current_user.actor, case_id, referral_id, message_id)
    if answer is None:
        abort(404)
    return render_template(
        "channels/confirm_referral.html",
        case_id=case_id,
        referral_id=referral_id,
        answer=answer,
        errors=errors,
    )


@blueprint.post(CONFIRM)
@requires_role(*COUNSELS)
def confirm(case_id: int, referral_id: int, message_id: int) -> Response | tuple[str, int]:
    checked = request.form.get("absender_geprueft") == "ja"
    try:
        confirm_referral(
            _context(), current_user.actor, case_id, referral_id, message_id, sender_checked=checked
        )
    except ConfirmationRefused as refused:
        if refused.facts.get("field") == "absender":
            errors = {"absender": refused.message(language())}
            return _confirm_page(case_id, referral_id, message_id, errors), 422
        flash(refused.message(language()), "error")
    else:
        flash(gettext("Die Vermittlung ist als bestätigt markiert."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#vermittlungen")
