"""A sweep that finds nothing due is one plain read: it never waits for SQLite's write lock."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from engine.calendar.business_calendar import BusinessCalendar
from engine.deadlines.timer_sweep import SweepReport, sweep_timers
from engine.kernel.context import build_context
from engine.store import schema
from tests.conftest import TEST_KEY
from tests.integration.test_timer_sweep import _open_timer_cases
from tests.steps import case_row, open_tasks


def test_empty_sweep_runs_while_another_process_holds_the_write_lock(tmp_path, clock):
    path = tmp_path / "lotse.db"
    ctx = build_context(
        f"sqlite:///{path}",
        TEST_KEY,
        BusinessCalendar(),
        clock,
        connect_args={"timeout": 0.2, "check_same_thread": False},
    )
    try:
        schema.upgrade(ctx.db)
        (case_id,) = _open_timer_cases(ctx, 1)
        due = case_row(ctx, case_id).next_timer_at
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            assert sweep_timers(ctx, now=due - timedelta(minutes=1)) == SweepReport()
            # a due timer does need the write lock: the sweep waits for it (here: gives up after 0.2 s)
            with pytest.raises(OperationalError, match="locked"):
                sweep_timers(ctx, now=due)
        finally:
            writer.rollback()
            writer.close()
        assert sweep_timers(ctx, now=due).fired == 1
        assert list(open_tasks(ctx, case_id)) == ["danach"]
    finally:
        ctx.db.dispose()


def test_empty_sweep_changes_nothing_on_either_database(ctx, clock):
    (case_id,) = _open_timer_cases(ctx, 1)
    before = case_row(ctx, case_id)
    for minute in range(59):
        assert sweep_timers(ctx, now=clock.now() + timedelta(minutes=minute)) == SweepReport()
    after = case_row(ctx, case_id)
    assert (after.lock_version, after.updated_at, after.next_timer_at) == (
        before.lock_version,
        before.updated_at,
        before.next_timer_at,
    )
    assert sweep_timers(ctx, now=before.next_timer_at).fired == 1
