"""The scheduled jobs by name: each builds its adapters from the environment and calls one engine use case.

Used by ``lotse jobs run-once JOB`` and by the Prefect flows. Results hold ids and counts only, so
nothing a case says ends up in a log or in Prefect's run records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.retention import DEFAULT_RETENTION_MONTHS, purge_expired_cases
from engine.channels.mail_intake import Limits, take_mail
from engine.channels.triage import purge_discarded
from engine.deadlines.appointment_sweep import sweep_appointments
from engine.deadlines.digest import queue_digests
from engine.deadlines.timer_sweep import sweep_timers
from engine.kernel.context import EngineContext, build_context
from engine.kernel.outbox import MAX_ATTEMPTS, deliver_outbox
from engine.kernel.settings import (
    JobSettings,
    SmtpSettings,
    base_url,
    imap_accounts,
    mail_max_attempts,
    retention_months,
)
from engine.statistics.snapshots import take_snapshots
from engine.store.vault import Vault, parse_keyring
from integrations.imap_mail import ImapMailbox
from integrations.smtp_mail import SmtpMailSender

JOBS = ("sweep", "outbox", "digest", "purge", "statistics", "mail-intake")


def context_from_environment() -> EngineContext:
    """The engine context as ``lotse`` builds it: ``LOTSE_DATABASE_URL``, ``LOTSE_KEYS``, ``LOTSE_LAND``.

    Without them, the embedded defaults under ``LOTSE_INSTANCE`` (default ``./instance``) apply; the
    keys must exist already (see ``JobSettings``).
    """
    settings = JobSettings.from_environment()
    keys, active = parse_keyring(settings.keyring)
    return build_context(settings.database_url, Vault(keys, active), BusinessCalendar(land=settings.land))


def run_job(
    name: str, ctx: EngineContext, now: datetime | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Run one job once and say what it did (ids and counts)."""
    if name not in _RUNNERS:
        raise ValueError(f"Unknown job {name!r}; choose one of {', '.join(JOBS)}.")
    return _RUNNERS[name](ctx, now or ctx.clock.now(), dry_run)


def _sweep(ctx: EngineContext, now: datetime, _dry_run: bool) -> dict[str, Any]:
    report = sweep_timers(ctx, now)
    agreed = sweep_appointments(ctx, now)  # agreed callbacks: reminders and missed ones, on the same beat
    return {
        "fired": report.fired,
        "conflicts": report.conflicts,
        "failed": report.failed,
        "appointments_reminded": agreed.reminded,
        "appointments_escalated": agreed.escalated,
    }


def _outbox(ctx: EngineContext, now: datetime, _dry_run: bool) -> dict[str, Any]:
    settings = SmtpSettings.from_environment()
    if settings is None:
        return {"skipped": "no mail server configured (LOTSE_SMTP_HOST)"}
    attempts = mail_max_attempts(MAX_ATTEMPTS)
    report = deliver_outbox(ctx, SmtpMailSender(settings), now, max_attempts=attempts, base_url=base_url())
    return {"sent": report.sent, "retried": report.retried, "dead": report.dead, "skipped": report.skipped}


def _digest(ctx: EngineContext, now: datetime, _dry_run: bool) -> dict[str, Any]:
    report = queue_digests(ctx, now)
    return {
        "working_day": report.working_day,
        "queued": len(report.queued),
        "nothing_to_say": len(report.nothing_to_say),
        "already_queued": len(report.already_queued),
    }


def _purge(ctx: EngineContext, now: datetime, dry_run: bool) -> dict[str, Any]:
    report = purge_expired_cases(ctx, now, months=retention_months(DEFAULT_RETENTION_MONTHS), dry_run=dry_run)
    return {
        "dry_run": report.dry_run,
        "cutoff": report.cutoff.isoformat(),
        "due": report.due,
        "held": report.held,
        "purged": report.purged,
        "coarsened": report.coarsened,
        "discarded_mail_deleted": 0 if dry_run else purge_discarded(ctx, now),
    }


def _statistics(ctx: EngineContext, now: datetime, _dry_run: bool) -> dict[str, Any]:
    return {"months": take_snapshots(ctx, now)}


def _mail_intake(ctx: EngineContext, now: datetime, _dry_run: bool) -> dict[str, Any]:
    accounts = imap_accounts()
    if not accounts:
        return {"skipped": "no mailbox configured (LOTSE_IMAP_HOST)"}
    totals = {"taken": 0, "to_cases": 0, "to_triage": 0, "refused": 0, "already_taken": 0}
    for account in accounts:
        limits = Limits(account.max_bytes, account.max_attachments)
        for folder in account.folders:
            with ImapMailbox(account, folder) as mailbox:
                report = take_mail(ctx, mailbox, now, limits)
            totals["taken"] += len(report.taken)
            totals["to_cases"] += report.to_cases
            totals["to_triage"] += report.to_triage
            totals["refused"] += report.refused
            totals["already_taken"] += report.already_taken
    return totals


_RUNNERS: dict[str, Callable[[EngineContext, datetime, bool], dict[str, Any]]] = {
    "sweep": _sweep,
    "outbox": _outbox,
    "digest": _digest,
    "purge": _purge,
    "statistics": _statistics,
    "mail-intake": _mail_intake,
}
