"""The use cases of the statistics page: read a report (audited) and export it (always with disclosure control)."""

from __future__ import annotations

from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import NotPermitted
from engine.kernel.settings import statistics_threshold
from engine.statistics.disclosure import DEFAULT_THRESHOLD
from engine.statistics.period import Period
from engine.statistics.report import Report, build_report

REPORTING = "berichte"  # the read-only role for reporting
TEAM_LEAD = "teamleitung"


def may_read(actor: Actor) -> bool:
    return bool(actor.groups & {REPORTING, TEAM_LEAD})


def read_report(ctx: EngineContext, actor: Actor, period: Period, internal: bool = False) -> Report:
    """The report for ``period``; ``internal`` (unsuppressed, on screen only) for team leads alone."""
    if not may_read(actor) or (internal and TEAM_LEAD not in actor.groups):
        raise NotPermitted("Statistik intern" if internal else "Statistik")
    return _report(ctx, actor, period, internal, "statistics_viewed")


def report_for_export(ctx: EngineContext, actor: Actor, period: Period, form: str) -> Report:
    """The published report (disclosure control always applied: an export never holds an internal figure)."""
    if not may_read(actor):
        raise NotPermitted("Statistik")
    return _report(ctx, actor, period, False, "statistics_exported", form)


def _report(
    ctx: EngineContext, actor: Actor, period: Period, internal: bool, action: str, form: str = ""
) -> Report:
    threshold = statistics_threshold(DEFAULT_THRESHOLD)
    with ctx.unit_of_work() as session:
        report = build_report(session, ctx.calendar, period, internal=internal, threshold=threshold)
        detail = f"{period.first.isoformat()}..{period.last.isoformat()}{' intern' if internal else ''} {form}".strip()
        audit.record(session, ctx.clock.now(), actor.username, action, None, detail)
        session.commit()
    return report
