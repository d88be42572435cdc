"""``lotse bench sweep``: timers fired per second by the timer sweep, with duplicates and misses.

For N cases, each with one due timer (default 10,000), in the same run:

* ``raw_memory``: SpiffWorkflow alone fires the timer of N in-memory workflows (no persistence) —
  the baseline;
* ``sqlite_one_sweeper``: one ``sweep_timers`` on SQLite (the embedded set-up);
* ``postgresql_one_sweeper``: the same on PostgreSQL;
* ``postgresql_two_sweepers``: two sweeper processes at once on PostgreSQL (``FOR UPDATE SKIP LOCKED``).

The cases are made by opening one case through the engine and storing its state (with fresh task ids,
sealed for each row) under N case rows, so setting up is quick and every case waits at the same timer. Duplicates are cases whose
timer fired more than once (audit trail or task projection); misses are cases whose timer did not fire.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import re
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter, sleep, time
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from engine.bpmn.clock import clock_at, install_clock
from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import open_case
from engine.deadlines.timer_sweep import sweep_timers
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.processes.deployment import deploy_process
from engine.store import schema
from engine.store.case_store import binding
from engine.store.tables import AuditEvent, Case, Task
from engine.store.vault import Vault

ACTOR = Actor("bench", frozenset({"beratung"}))
VAULT_KEY = b"s" * 32
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
DUE = START + timedelta(hours=1)
SWEEP_AT = START + timedelta(hours=2)
SQLITE_BAR = 250.0  # timers per second, one sweeper on SQLite
POSTGRES_ADMIN_URL = os.environ.get(
    "LOTSE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d" targetNamespace="t">
  <bpmn:process id="bench_wecker" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateCatchEvent id="wecker"><bpmn:timerEventDefinition>
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">'{DUE.isoformat()}'</bpmn:timeDate>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="nachfassen" name="Nachfassen" camunda:candidateGroups="beratung"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wecker"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wecker" targetRef="nachfassen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="nachfassen" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def run(cases: int = 10_000, postgres: bool = True) -> dict[str, Any]:
    results: dict[str, Any] = {"raw_memory": _raw_memory(cases)}
    with tempfile.TemporaryDirectory(prefix="lotse-bench-sweep-") as directory:
        results["sqlite_one_sweeper"] = _measure(f"sqlite:///{Path(directory) / 'sweep.db'}", cases, 1)
    if postgres:
        for sweepers in (1, 2):
            name = f"lotse_bench_sweep_{uuid.uuid4().hex[:8]}"
            url = _create_postgres(name)
            try:
                results[f"postgresql_{'one' if sweepers == 1 else 'two'}_sweeper{'s' * (sweepers > 1)}"] = (
                    _measure(url, cases, sweepers)
                )
            finally:
                _drop_postgres(name)
    lotse = [value for key, value in results.items() if key != "raw_memory"]
    raw_rate = results["raw_memory"]["timers_per_second"]
    for result in lotse:  # how much persistence, locking and the audit trail cost (noisy machines)
        result["times_slower_than_raw"] = round(raw_rate / result["timers_per_second"], 1)
    return {
        "benchmark": "sweep",
        "cases": cases,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "results": results,
        "bars": {
            "sqlite_one_sweeper_timers_per_second_min": SQLITE_BAR,
            "sqlite_one_sweeper_ok": results["sqlite_one_sweeper"]["timers_per_second"] >= SQLITE_BAR,
            "no_duplicates": all(result["duplicates"] == 0 for result in lotse),
            "no_misses": all(result["misses"] == 0 for result in lotse),
        },
    }


# -- the baseline: SpiffWorkflow alone, in memory ---------------------------------------------------


def _raw_memory(cases: int) -> dict[str, Any]:
    parser = CamundaParser()
    parser.add_bpmn_str(MODEL)
    spec = parser.get_spec("bench_wecker")
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment({}))
    install_clock()  # SpiffWorkflow's timers read the engine clock, as Lotse's runtime makes them
    with clock_at(START):  # the raw workflows see the engine clock too
        workflows = [BpmnWorkflow(spec, script_engine=script_engine) for _ in range(cases)]
        for workflow in workflows:
            workflow.do_engine_steps()
    started = perf_counter()
    with clock_at(SWEEP_AT):
        for workflow in workflows:
            workflow.refresh_timers()
            workflow.do_engine_steps()
    seconds = perf_counter() - started
    fired = sum(1 for workflow in workflows if workflow.get_tasks(state=TaskState.READY, manual=True))
    return {
        "seconds": round(seconds, 3),
        "timers_per_second": round(cases / seconds, 1),
        "duplicates": 0,
        "misses": cases - fired,
    }


# -- Lotse: the sweep use case against a database ---------------------------------------------------


def _context(url: str) -> EngineContext:
    return build_context(url, Vault({"bench": VAULT_KEY}, "bench"), BusinessCalendar(), ManualClock(SWEEP_AT))


def _measure(url: str, cases: int, sweepers: int) -> dict[str, Any]:
    ctx = _context(url)
    try:
        schema.upgrade(ctx.db)
        _make_cases(ctx, cases)
    finally:
        ctx.db.dispose()
    if sweepers == 1:
        reports = [_sweeper(url, time() + 0.5)]
    else:  # the processes start first, then sweep from the same instant on
        with multiprocessing.get_context("spawn").Pool(sweepers) as pool:
            reports = pool.starmap(_sweeper, [(url, time() + 10.0)] * sweepers)
    seconds = max(report["ended"] for report in reports) - min(report["started"] for report in reports)
    ctx = _context(url)
    try:
        duplicates, misses = _check(ctx, cases)
    finally:
        ctx.db.dispose()
    return {
        "sweepers": sweepers,
        "seconds": round(seconds, 3),
        "timers_per_second": round(cases / seconds, 1),
        "fired_per_sweeper": [report["fired"] for report in reports],
        "conflicts": sum(report["conflicts"] for report in reports),
        "failed": sum(report["failed"] for report in reports),
        "duplicates": duplicates,
        "misses": misses,
    }


def _sweeper(url: str, start_at: float) -> dict[str, Any]:
    """One sweeper: connect, wait for the common start instant, sweep; wall-clock start and end."""
    ctx = _context(url)
    try:
        with ctx.unit_of_work(writes=False) as session:
            session.execute(select(1))  # connected before the clock starts
        sleep(max(0.0, start_at - time()))
        started = time()
        report = sweep_timers(ctx, now=SWEEP_AT)
        ended = time()
    finally:
        ctx.db.dispose()
    return {
        "fired": report.fired,
        "conflicts": report.conflicts,
        "failed": len(report.failed),
        "started": started,
        "ended": ended,
    }


def _make_cases(ctx: EngineContext, cases: int) -> None:
    """One case opened through the engine, its state re-sealed for ``cases - 1`` more rows."""
    deploy_process(ctx, "bench", MODEL)
    template_id = open_case(ctx, ACTOR, process_key="bench_wecker", now=START).case_id
    ctx.instances.clear()
    with ctx.unit_of_work() as session:
        template = session.get(Case, template_id)
        blob = ctx.vault.open(template.state, binding(template_id))
        columns = {
            column.name: getattr(template, column.key)
            for column in Case.__table__.columns
            if column.name not in ("id", "reference", "state")
        }
        assert template.next_timer_at == DUE, "the template case must wait at its timer"
        rows = [
            {
                **columns,
                "id": case_id,
                "reference": f"B-{case_id:06d}",
                "state": ctx.vault.seal(_fresh_ids(blob), binding(case_id)),
            }
            for case_id in range(template_id + 1, template_id + cases)
        ]
        for first in range(0, len(rows), 1000):
            session.execute(insert(Case.__table__), rows[first : first + 1000])
        session.commit()
    if ctx.is_postgres:
        with ctx.db.begin() as connection:
            connection.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
            connection.execute(text("ANALYZE"))


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fresh_ids(blob: bytes) -> bytes:
    """The same state with new task (and workflow) ids, as a case of its own would have."""
    new: dict[bytes, bytes] = {}
    return _UUID.sub(lambda found: new.setdefault(found.group(0), str(uuid.uuid4()).encode()), blob)


def _check(ctx: EngineContext, cases: int) -> tuple[int, int]:
    with ctx.unit_of_work(writes=False) as session:
        fired_twice = session.scalar(
            select(func.count()).select_from(
                select(AuditEvent.case_id)
                .where(AuditEvent.action == "timer_fired")
                .group_by(AuditEvent.case_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        tasks_twice = session.scalar(
            select(func.count()).select_from(
                select(Task.case_id).group_by(Task.case_id).having(func.count() > 1).subquery()
            )
        )
        with_task = session.scalar(select(func.count(func.distinct(Task.case_id))))
        waiting = session.scalar(
            select(func.count()).select_from(Case).where(Case.next_timer_at.is_not(None))
        )
    return fired_twice + tasks_twice, max(cases - with_task, waiting)


def _create_postgres(name: str) -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(name: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
