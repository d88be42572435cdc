"""Domain errors: each says what happened in German and in English and carries its facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.calendar.business_calendar import BERLIN


def _local(at: datetime | None) -> str:
    return at.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if at else "?"


class DomainError(Exception):
    """Base class; ``german`` and ``english`` are complete sentences for people."""

    code = "domain_error"

    def __init__(self, german: str, english: str, **facts: Any) -> None:
        self.german = german
        self.english = english
        self.facts = facts
        super().__init__(f"{english} / {german}")

    def message(self, language: str = "de") -> str:
        return self.german if language == "de" else self.english


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, what: str, ident: Any) -> None:
        """``what`` names the thing in German and English, as "Fall/Case"."""
        german, _, english = what.partition("/")
        super().__init__(
            f"{german} {ident} wurde nicht gefunden.",
            f"{english or german} {ident} was not found.",
            ident=ident,
        )


class NotPermitted(DomainError):
    code = "not_permitted"

    def __init__(self, action: str) -> None:
        super().__init__(
            f"Dafür fehlt Ihnen die Berechtigung ({action}).",
            f"You are not permitted to do this ({action}).",
            action=action,
        )


class OutsideNeedToKnow(NotPermitted):
    """A case the staff member may not see (the rule is ``engine.cases.need_to_know``)."""


class TaskAlreadyCompleted(DomainError):
    code = "task_completed"

    def __init__(self, by: str | None, at: datetime | None) -> None:
        super().__init__(
            f"Diese Aufgabe wurde bereits von {by or 'jemand anderem'} am {_local(at)} erledigt.",
            f"This task was already completed by {by or 'someone else'} at {_local(at)}.",
            by=by,
            at=at,
        )


class TaskCancelled(DomainError):
    code = "task_cancelled"

    def __init__(self, at: datetime | None) -> None:
        super().__init__(
            f"Diese Aufgabe ist seit {_local(at)} nicht mehr offen; der Fall ist weitergelaufen.",
            f"This task has not been open since {_local(at)}; the case has moved on.",
            at=at,
        )


class TaskClaimedByOther(DomainError):
    code = "task_claimed"

    def __init__(self, assignee: str) -> None:
        super().__init__(
            f"Diese Aufgabe hat bereits {assignee} übernommen.",
            f"This task has already been claimed by {assignee}.",
            assignee=assignee,
        )


class ConcurrentUpdate(DomainError):
    code = "concurrent_update"

    def __init__(self, reference: str | None) -> None:
        super().__init__(
            f"Fall {reference} wurde gleichzeitig von jemand anderem geändert. Bitte laden Sie die Seite neu.",
            f"Case {reference} was changed by someone else at the same time. Please reload.",
            reference=reference,
        )


class FormInvalid(DomainError):
    code = "form_invalid"

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        self.errors = errors  # field id -> (German, English)
        fields = ", ".join(errors)
        super().__init__(
            f"Bitte prüfen Sie die markierten Felder: {fields}.",
            f"Please check the marked fields: {fields}.",
        )


class ProcessNotDeployed(DomainError):
    code = "process_not_deployed"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Der Prozess {key} ist nicht bereitgestellt. Führen Sie 'lotse workflows deploy' aus.",
            f"The process {key} is not deployed. Run 'lotse workflows deploy'.",
            key=key,
        )


class CalendarSettingsInvalid(DomainError):
    """Calendar settings that cannot be used; nothing was stored.

    ``errors`` maps each bad setting (``opens``, ``closes``, ``weekdays``, ``land``,
    ``recurring_closures``, ``closures``) to a German and an English sentence that names it.
    """

    code = "calendar_settings_invalid"

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__(
            " ".join(
                ["Die Kalendereinstellungen wurden nicht gespeichert.", *(m[0] for m in errors.values())]
            ),
            " ".join(["The calendar settings were not saved.", *(m[1] for m in errors.values())]),
            fields=tuple(errors),
        )


class IncidentNotAccepted(DomainError):
    code = "incident_not_accepted"

    def __init__(self, reference: str, closed: bool) -> None:
        if closed:
            german = f"Fall {reference} ist abgeschlossen; ein neuer Vorfall braucht einen neuen Fall."
            english = f"Case {reference} is closed; a new incident needs a new case."
        else:
            german = f"Das Prozessmodell von Fall {reference} kennt keinen „Neuen Vorfall“."
            english = f"The process model of case {reference} has no 'new incident' event."
        super().__init__(german, english, reference=reference)


class CasePurged(DomainError):
    code = "case_purged"

    def __init__(self, reference: str | None) -> None:
        super().__init__(
            f"Der Inhalt von Fall {reference} wurde gelöscht (nach Ablauf der Aufbewahrungsfrist oder auf "
            "Antrag der Person); erhalten sind nur die statistischen Angaben und das Protokoll.",
            f"The content of case {reference} was deleted (when its retention period ran out or at the "
            "person's request); only its statistical attributes and the audit trail remain.",
            reference=reference,
        )
