"""Prefect 3 flows: thin wrappers that run one engine job each, and the deployments that schedule them.

Each flow returns ids and counts only, and persists no result, so Prefect's records hold no case
content. The engine context is built once per process from the environment (``JobSettings`` in
engine.kernel.settings, see integrations.jobs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron, Interval

from engine.kernel.context import EngineContext
from integrations.jobs import context_from_environment, run_job

ROOT = Path(__file__).resolve().parent.parent
BERLIN = "Europe/Berlin"
# one run at a time; a run that would collide with one still going is cancelled, not queued
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)

_context: EngineContext | None = None


def _ctx() -> EngineContext:
    global _context
    if _context is None:
        _context = context_from_environment()
    return _context


@flow(name="lotse-sweep", persist_result=False, log_prints=False)
def sweep_flow() -> dict[str, Any]:
    """Fire the due BPMN timers (reminders, escalations, follow-ups come from the case's model)."""
    return run_job("sweep", _ctx())


@flow(name="lotse-outbox", persist_result=False, retries=2, retry_delay_seconds=20)
def outbox_flow() -> dict[str, Any]:
    """Deliver due e-mails from the outbox (each message also has its own retries and dead letter)."""
    return run_job("outbox", _ctx())


@flow(name="lotse-digest", persist_result=False)
def digest_flow() -> dict[str, Any]:
    """Queue the daily digest per staff member (nothing on days the office is closed)."""
    return run_job("digest", _ctx())


@flow(name="lotse-purge", persist_result=False)
def purge_flow(dry_run: bool = False) -> dict[str, Any]:
    """Purge the content of closed cases past the retention period (legal hold respected)."""
    return run_job("purge", _ctx(), dry_run=dry_run)


@flow(name="lotse-statistics", persist_result=False)
def statistics_flow() -> dict[str, Any]:
    """Snapshot the counts of every month that ended (reports for it read the snapshot from then on)."""
    return run_job("statistics", _ctx())


@flow(name="lotse-mail-intake", persist_result=False)
def mail_intake_flow() -> dict[str, Any]:
    """Take new e-mail from the configured IMAP mailboxes (nothing when none is configured)."""
    return run_job("mail-intake", _ctx())


# name, flow, entrypoint, schedule, concurrency
SCHEDULE = (
    ("sweep", sweep_flow, "sweep_flow", Interval(60), ONE_AT_A_TIME),
    ("outbox", outbox_flow, "outbox_flow", Interval(60), ONE_AT_A_TIME),
    ("digest", digest_flow, "digest_flow", Cron("45 8 * * 1-5", timezone=BERLIN), ONE_AT_A_TIME),
    ("purge", purge_flow, "purge_flow", Cron("30 2 * * *", timezone=BERLIN), ONE_AT_A_TIME),
    ("statistics", statistics_flow, "statistics_flow", Cron("15 1 * * *", timezone=BERLIN), ONE_AT_A_TIME),
    ("mail-intake", mail_intake_flow, "mail_intake_flow", Interval(60), ONE_AT_A_TIME),
)


def embedded_deployments() -> list[Any]:
    """The deployments ``serve()`` runs in the embedded set-up (``lotse scheduler``)."""
    return [
        job.to_deployment(name=name, schedules=[schedule], concurrency_limit=limit)
        for name, job, _entrypoint, schedule, limit in SCHEDULE
    ]


def deploy_to_work_pool(work_pool: str, source: Path = ROOT) -> list[str]:
    """Production: register the deployments with a process work pool; ``prefect worker start`` runs them.

    The workers load the flows from ``source`` (a checkout of Lotse on each worker machine, same path).
    Returns the deployment ids.
    """
    ids = []
    for name, _flow, entrypoint, schedule, limit in SCHEDULE:
        remote = flow.from_source(source=str(source), entrypoint=f"integrations/flows.py:{entrypoint}")
        deployment_id = remote.deploy(
            name=name,
            work_pool_name=work_pool,
            schedules=[schedule],
            concurrency_limit=limit,
            build=False,
            push=False,
            print_next_steps=False,
        )
        ids.append(str(deployment_id))
    return ids


def main() -> None:
    """``python -m integrations.flows``: serve the embedded deployments (needs PREFECT_API_URL)."""
    from prefect import serve

    serve(*embedded_deployments(), pause_on_shutdown=False)


if __name__ == "__main__":
    main()
