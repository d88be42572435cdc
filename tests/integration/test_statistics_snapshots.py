"""A report for a closed period reads the monthly snapshot and stays the same after its cases are purged and erased."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete

from engine.cases.retention import purge_expired_cases
from engine.kernel.context import EngineContext
from engine.statistics.period import quarter
from engine.statistics.report import build_report
from engine.store.schema import METADATA
from engine.store.tables import Case
from integrations.jobs import run_job
from tests.integration import statistics_data

APRIL = datetime(2026, 4, 5, 8, 0, tzinfo=UTC)


def _report(ctx: EngineContext, internal: bool = False) -> object:
    with ctx.unit_of_work(writes=False) as session:
        report = build_report(session, ctx.calendar, quarter(2026, 1), internal=internal)
    return [(block.key, block.rows) for block in report.blocks], report.sources


def _erase_every_case(ctx: EngineContext) -> None:
    """What an erasure does to statistics: the case and every row that references it are gone."""
    with ctx.unit_of_work() as session:
        for table in reversed(METADATA.sorted_tables):
            if "case_id" in table.c and table.name != "audit_events":
                session.execute(delete(table))
        session.execute(delete(Case))
        session.commit()


def test_closed_quarter_is_the_same_after_purge_and_erasure(ctx: EngineContext) -> None:
    with ctx.unit_of_work() as session:
        statistics_data.build(session)
        session.commit()
    live_public, live_sources = _report(ctx)
    live_internal, _ = _report(ctx, internal=True)
    assert set(source for _, source in live_sources) == {"live"}

    assert run_job("statistics", ctx, now=APRIL) == {"months": ["2026-02", "2026-03"]}
    assert run_job("statistics", ctx, now=APRIL) == {"months": []}  # once per month
    snap_public, snap_sources = _report(ctx)
    assert snap_sources == [("2026-01", "live"), ("2026-02", "Momentaufnahme"), ("2026-03", "Momentaufnahme")]
    assert snap_public == live_public

    purge_expired_cases(ctx, datetime(2029, 1, 1, tzinfo=UTC), months=24)
    _erase_every_case(ctx)
    assert _report(ctx) == (snap_public, snap_sources)
    assert _report(ctx, internal=True)[0] == live_internal
