"""The append-only audit trail: who did what to which case, when, never what the case says."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.store.tables import AuditEvent

ACTIONS = frozenset(
    {
        "case_opened",
        "message_received",
        "message_viewed",
        "message_to_case",
        "message_discarded",
        "intake_claimed",
        "intake_released",
        "reply_written",
        "case_viewed",
        "task_completed",
        "task_claimed",
        "task_released",
        "task_reassigned",
        "note_added",
        "language_changed",
        "timer_fired",
        "timer_failed",
        "step_failed",
        "step_retried",
        "escalated",
        "reminded",
        "deadlines_tightened",
        "incident_reported",
        "message_caught",
        "strafantrag_recorded",
        "strafantrag_offender_known",
        "process_deployed",
        "case_migrated",
        "staff_added",
        "calendar_changed",
        "service_settings_changed",
        "logged_in",
        "login_failed",
        "logged_out",
        "login_failed_burst",
        "password_changed",
        "staff_deactivated",
        "exported",
        "statistics_viewed",
        "statistics_exported",
        "deleted",
        "directory_changed",
        "referred",
        "referral_updated",
        "referral_confirmed",
        "handover_queued",
        "legal_hold_set",
        "legal_hold_released",
        "case_glimpsed",
        "access_requested",
        "break_glass",
        "break_glass_listed",
        "case_discarded",
        "task_kept",
        "appointment_agreed",
        "appointment_done",
        "appointment_rescheduled",
        "second_factor_enrolled",
        "second_factor_passed",
        "second_factor_failed",
        "second_factor_reset",
        "recovery_code_used",
        "staff_invited",
        "staff_reactivated",
        "roles_changed",
        "password_reset_requested",
        "password_reset",
        "session_ended",
        "absence_set",
        "absence_ended",
        "privacy_changed",
        "person_updated",
        "person_viewed",
        "contact_route_added",
        "contact_route_removed",
        "contact_logged",
        "case_searched",
        "repeat_contact_found",
        "case_linked",
        "case_merged",
        "case_merged_in",
        "evidence_added",
        "evidence_downloaded",
        "dossier_generated",
        "dossier_sent",
        "consent_recorded",
        "consent_withdrawn",
        "erasure_requested",
        "erasure_confirmed",
    }
)


_INSERT = insert(AuditEvent.__table__)


def record(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    case_id: int | None = None,
    detail: str | None = None,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    session.connection().execute(
        _INSERT, {"at": at, "actor": actor, "action": action, "case_id": case_id, "detail": detail or None}
    )


def record_many(
    session: Session, at: datetime, actor: str, action: str, entries: list[tuple[int | None, str | None]]
) -> None:
    """Several events of one action at once (one statement): ``entries`` are (case id, detail) pairs."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    if entries:
        session.connection().execute(
            _INSERT,
            [
                {"at": at, "actor": actor, "action": action, "case_id": case_id, "detail": detail or None}
                for case_id, detail in entries
            ],
        )
