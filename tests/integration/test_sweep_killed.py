"""A sweep killed with SIGKILL in the middle of its work, then run again: nothing twice, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from engine.deadlines.timer_sweep import sweep_timers
from engine.store.tables import AuditEvent, Case, Task
from tests.conftest import ROOT
from tests.integration.test_timer_sweep import _open_timer_cases

CASES = 250
SWEEPER = """
import sys
from datetime import datetime
from engine.kernel.clock import ManualClock
from engine.deadlines.timer_sweep import sweep_timers
from tests.conftest import make_context
at = datetime.fromisoformat(sys.argv[2])
sweep_timers(make_context(sys.argv[1], ManualClock(at)), now=at)
"""


def _fired(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer_fired")
        )


def test_killed_sweep_then_rerun_fires_every_timer_exactly_once(ctx, clock, database_url):
    cases = _open_timer_cases(ctx, CASES)
    later = clock.now() + timedelta(hours=2)
    sweeper = subprocess.Popen(
        [sys.executable, "-c", SWEEPER, database_url, later.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 120
    while _fired(ctx) < 10 and sweeper.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(sweeper.pid, signal.SIGKILL)
    assert sweeper.wait(30) == -signal.SIGKILL
    at_kill = _fired(ctx)
    assert 10 <= at_kill < CASES, "the sweep must have been killed half-way"

    report = sweep_timers(ctx, now=later)
    assert report.fired == CASES - at_kill and not report.failed
    with ctx.unit_of_work(writes=False) as session:
        per_case = session.execute(
            select(AuditEvent.case_id, func.count())
            .where(AuditEvent.action == "timer_fired")
            .group_by(AuditEvent.case_id)
        ).all()
        tasks = session.execute(
            select(Task.case_id, func.count()).where(Task.element_id == "danach").group_by(Task.case_id)
        ).all()
        waiting = session.scalar(
            select(func.count()).select_from(Case).where(Case.next_timer_at.is_not(None))
        )
    assert sorted(case_id for case_id, _ in per_case) == sorted(cases)
    assert {count for _, count in per_case} == {1} and {count for _, count in tasks} == {1}
    assert len(tasks) == CASES and waiting == 0
