"""The case timeline in words: what happened and to what, in the person's language — never an audit code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from flask_babel import gettext, lazy_gettext

from engine.cases.appointments import KINDS as APPOINTMENT_KINDS
from engine.cases.case_file import CaseFile, TimelineEntry
from engine.referrals.consent import SHAREABLE
from engine.referrals.consent_records import SUBJECTS
from engine.strafantrag.periods import offence_label
from web.formatting import when, who
from web.i18n import language

ACTIONS = {
    "case_opened": lazy_gettext("Fall angelegt"),
    "task_completed": lazy_gettext("Aufgabe erledigt"),
    "task_claimed": lazy_gettext("Aufgabe übernommen"),
    "task_released": lazy_gettext("Aufgabe freigegeben"),
    "task_reassigned": lazy_gettext("Aufgabe neu zugewiesen"),
    "task_kept": lazy_gettext("Folgeschritt im Gespräch behalten"),
    "timer_fired": lazy_gettext("Frist/Timer ausgelöst"),
    "timer_failed": lazy_gettext("Timer fehlgeschlagen"),
    "step_failed": lazy_gettext("Störung: Schritt nicht ausgeführt"),
    "step_retried": lazy_gettext("Störung: erneuter Versuch freigegeben"),
    "escalated": lazy_gettext("Eskaliert"),
    "note_added": lazy_gettext("Notiz hinzugefügt"),
    "reminded": lazy_gettext("An Frist erinnert"),
    "deadlines_tightened": lazy_gettext("Fristen verschärft"),
    "incident_reported": lazy_gettext("Neuer Vorfall gemeldet"),
    "message_caught": lazy_gettext("Der Prozess hat die neue Nachricht erhalten"),
    "referred": lazy_gettext("Vermittelt"),
    "handover_queued": lazy_gettext("Warme Übergabe in den Postausgang gestellt"),
    "referral_updated": lazy_gettext("Stand einer Vermittlung geändert"),
    "referral_confirmed": lazy_gettext("Übergabe von der Stelle bestätigt"),
    "strafantrag_recorded": lazy_gettext("Strafantragsfrist erfasst"),
    "strafantrag_offender_known": lazy_gettext("Täter bekannt: Strafantragsfrist läuft"),
    "legal_hold_set": lazy_gettext("Rechtliche Sperre gesetzt"),
    "legal_hold_released": lazy_gettext("Rechtliche Sperre aufgehoben"),
    "deleted": lazy_gettext("Inhalt gelöscht"),
    "privacy_changed": lazy_gettext("Anonym/vertraulich geändert"),
    "person_updated": lazy_gettext("Angaben zur Person geändert"),
    "person_viewed": lazy_gettext("Angaben zur Person angesehen"),
    "contact_route_added": lazy_gettext("Kontaktweg erfasst"),
    "contact_route_removed": lazy_gettext("Kontaktweg gelöscht"),
    "contact_logged": lazy_gettext("Kontakt protokolliert"),
    "case_linked": lazy_gettext("Fall verbunden"),
    "case_merged": lazy_gettext("In anderen Fall zusammengeführt"),
    "case_merged_in": lazy_gettext("Anderer Fall hierher zusammengeführt"),
    "case_glimpsed": lazy_gettext("Existenz des Falls eingesehen"),
    "access_requested": lazy_gettext("Zugang erfragt"),
    "break_glass": lazy_gettext("Notfallzugriff"),
    "case_discarded": lazy_gettext("Fall verworfen"),
    "appointment_agreed": lazy_gettext("Rückruf/Termin vereinbart"),
    "appointment_done": lazy_gettext("Rückruf/Termin erledigt"),
    "appointment_rescheduled": lazy_gettext("Rückruf/Termin verschoben"),
    "case_migrated": lazy_gettext("Auf eine neue Prozessversion umgestellt"),
    "consent_recorded": lazy_gettext("Einwilligung erfasst"),
    "consent_withdrawn": lazy_gettext("Einwilligung widerrufen"),
    "dossier_generated": lazy_gettext("Beweisdossier erstellt"),
    "dossier_sent": lazy_gettext("Beweisdossier versandt"),
    "erasure_requested": lazy_gettext("Löschung beantragt"),
    "erasure_confirmed": lazy_gettext("Löschung bestätigt"),
    "evidence_added": lazy_gettext("Beweisstück hinzugefügt"),
    "evidence_downloaded": lazy_gettext("Beweisstück heruntergeladen"),
    "exported": lazy_gettext("Auskunft exportiert"),
    "message_received": lazy_gettext("Nachricht eingegangen"),
    "message_viewed": lazy_gettext("Nachricht angesehen"),
    "message_to_case": lazy_gettext("Nachricht dem Fall zugeordnet"),
    "reply_written": lazy_gettext("Antwort geschrieben"),
}
OTHER = lazy_gettext("Sonstiger Eintrag")
REFERRAL_STATUSES = {
    "proposed": lazy_gettext("vorgeschlagen"),
    "given": lazy_gettext("Kontaktdaten weitergegeben"),
    "handed_over": lazy_gettext("warm übergeben"),
    "reached": lazy_gettext("Kontakt kam zustande"),
    "helped": lazy_gettext("hat geholfen"),
    "not_helped": lazy_gettext("hat nicht geholfen"),
}
PRIVACY = {"anonym": lazy_gettext("anonym"), "vertraulich": lazy_gettext("vertraulich")}


def action_name(action: str) -> str:
    """What happened, as people say it; an action without a name here is "other", never its code."""
    return str(ACTIONS.get(action, OTHER))


def event_action(event: TimelineEntry) -> str:
    return action_name(event.action)


def event_detail(event: TimelineEntry, case: CaseFile) -> str | None:
    """What the event was about (the step, the service, the facts shared …) in words; None when the
    stored detail is only a code people cannot read."""
    detail = event.detail or ""
    reader = _READERS.get(event.action)
    if not detail or reader is None:
        return None
    return reader(detail, case)


def _pair(labels: tuple[str, str]) -> str:
    return labels[0] if language() == "de" else labels[1]


def _step(element_id: str, case: CaseFile) -> str | None:
    titles = {task.element_id: task.title for task in case.tasks}
    return titles.get(element_id)


def _offer(key: str, case: CaseFile) -> str | None:
    return {entry.offer_key: entry.offer_name for entry in case.referrals}.get(key)


def _referred(detail: str, case: CaseFile) -> str | None:
    key, _, status = detail.partition(": ")
    name = _offer(key, case)
    label = REFERRAL_STATUSES.get(status)
    return f"{name}: {label}" if name and label else name


def _handover(detail: str, case: CaseFile) -> str | None:
    key, _, facts = detail.partition(": ")
    shared = ", ".join(_pair(SHAREABLE[fact]) for fact in facts.split() if fact in SHAREABLE)
    name = _offer(key, case)
    return f"{name}: {shared}" if name and shared else (name or shared or None)


def _referral_updated(detail: str, case: CaseFile) -> str | None:
    number, _, status = detail.partition(": ")
    names = {f"R-{entry.id}": entry.offer_name for entry in case.referrals}
    label = REFERRAL_STATUSES.get(status)
    name = names.get(number)
    return f"{name}: {label}" if name and label else name


def _reassigned(detail: str, case: CaseFile) -> str | None:
    element_id, _, username = detail.partition("→")
    step = _step(element_id, case)
    person = who(username) if username and username != "-" else gettext("die Gruppe")
    return f"{step} → {person}" if step else person


def _migrated(detail: str, case: CaseFile) -> str | None:
    versions = detail.rpartition(" ")[2].replace("v", "")
    before, _, after = versions.partition("→")
    if before.isdigit() and after.isdigit():
        return gettext("Version %(before)s → Version %(after)s", before=before, after=after)
    return None


def _version(detail: str, case: CaseFile) -> str | None:
    number = detail.removeprefix("v")
    return gettext("Prozessversion %(number)s", number=number) if number.isdigit() else None


def _privacy(detail: str, case: CaseFile) -> str | None:
    before, _, after = detail.partition("→")
    if before in PRIVACY and after in PRIVACY:
        return f"{PRIVACY[before]} → {PRIVACY[after]}"
    return None


def _consent(detail: str, case: CaseFile) -> str | None:
    subject = detail.split(" ", 1)[0]
    return _pair(SUBJECTS[subject]) if subject in SUBJECTS else None


def _appointment(detail: str, case: CaseFile) -> str | None:
    return _pair(APPOINTMENT_KINDS[detail]) if detail in APPOINTMENT_KINDS else None


def _reference(detail: str, case: CaseFile) -> str | None:
    """Links and merges name the other case by its reference (after the arrow or the link kind)."""
    return detail.lstrip("→←").split(" ")[-1] or None


def _until(detail: str, case: CaseFile) -> str | None:
    try:
        until = datetime.fromisoformat(detail.removeprefix("until "))
    except ValueError:
        return None
    return gettext("bis %(when)s", when=when(until))


_READERS: dict[str, Callable[[str, CaseFile], str | None]] = {
    "case_opened": _version,
    "task_completed": lambda detail, case: _step(detail, case),
    "task_claimed": lambda detail, case: _step(detail, case),
    "task_released": lambda detail, case: _step(detail, case),
    "task_kept": lambda detail, case: _step(detail, case),
    "task_reassigned": _reassigned,
    "escalated": lambda detail, case: _step(detail, case),
    "reminded": lambda detail, case: _step(detail, case),
    "referred": _referred,
    "handover_queued": _handover,
    "referral_updated": _referral_updated,
    "case_migrated": _migrated,
    "strafantrag_recorded": lambda detail, case: offence_label(detail, language()),
    "strafantrag_offender_known": lambda detail, case: offence_label(detail, language()),
    "privacy_changed": _privacy,
    "consent_recorded": _consent,
    "consent_withdrawn": _consent,
    "appointment_agreed": _appointment,
    "appointment_done": _appointment,
    "appointment_rescheduled": _appointment,
    "break_glass": _until,
    "case_linked": _reference,
    "case_merged": _reference,
    "case_merged_in": _reference,
}


def shared_fact(key: str) -> str:
    """A fact shared at a warm handover (``land``, ``vorfallarten`` …) as people call it."""
    return _pair(SHAREABLE[key]) if key in SHAREABLE else key


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(event_action=event_action, action_name=action_name, shared_fact=shared_fact)
    app.jinja_env.globals["event_detail"] = event_detail
