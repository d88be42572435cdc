"""Runaway model code fails only its case's step: nothing of the step is written, a step failure is
recorded once, and no write lock is held while the model code runs (SQLite and PostgreSQL, real clock).

The counting script reads case data, so review cannot try it: with ``anzahl`` 1 it runs until the
sandbox's time bound stops it. The bound is widened to 3 s here so that a lock held while it runs
would keep the other writer waiting longer than the 2 s it is allowed.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.cases.incidents import report_incident
from engine.cases.lifecycle import complete_task, open_case
from engine.cases.notes import add_note
from engine.cases.retention import set_legal_hold
from engine.cases.step_failures import StepFailed, open_failures, retry_step
from engine.deadlines.timer_sweep import sweep_timers
from engine.kernel.errors import NotPermitted
from engine.processes.deployment import deploy_process
from engine.processes.migration import dry_run, migrate_cases
from engine.store.failure_tables import StepFailure
from engine.store.tables import Case, StrafantragRow
from engine.strafantrag.periods import record_offence
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.integration.small_models import (
    COUNTING_INCIDENT_MODEL,
    COUNTING_START_MODEL,
    COUNTING_TASK_MODEL,
    COUNTING_TIMER_MODEL,
    with_time_bound,
)
from tests.steps import case_row, open_tasks, task_id_for

BOUND = 3.0


def _failures(ctx) -> list[StepFailure]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(StepFailure).order_by(StepFailure.id)))


def _snapshot(ctx, case_id: int) -> tuple:
    row = case_row(ctx, case_id)
    return row.lock_version, row.state, row.next_timer_at, row.status


def test_a_runaway_timer_step_fails_only_its_case_and_never_blocks_another_writer(ctx, clock):
    with_time_bound(ctx, BOUND)
    deploy_process(ctx, "test", COUNTING_TIMER_MODEL)
    runaway = open_case(ctx, COUNSELLOR, {"anzahl": 1}, process_key="zaehlwecker").case_id
    fine = [open_case(ctx, COUNSELLOR, {"anzahl": 0}, process_key="zaehlwecker").case_id for _ in range(2)]
    before = _snapshot(ctx, runaway)
    later = clock.now() + timedelta(hours=2)
    reports = []
    sweeper = threading.Thread(target=lambda: reports.append(sweep_timers(ctx, now=later)))
    started = time.monotonic()
    sweeper.start()
    # write to the database, the runaway case's own row included, for as long as the sweep runs
    slowest, writes = 0.0, 0
    while sweeper.is_alive():
        began = time.monotonic()
        set_legal_hold(ctx, TEAM_LEAD, runaway, writes % 2 == 0, reason="Ermittlungsverfahren")
        add_note(ctx, TEAM_LEAD, fine[0], f"Notiz {writes}")
        slowest = max(slowest, time.monotonic() - began)
        writes += 1
        time.sleep(0.05)
    sweeper.join()
    took = time.monotonic() - started
    assert took >= BOUND, "the runaway ran to its bound while the writes went on"
    assert writes >= 10 and slowest < 2.0, f"a write waited {slowest:.2f} s while the sweep ran"
    (report,) = reports
    assert report.failed == [runaway] and report.fired == 2
    for case_id in fine:
        assert list(open_tasks(ctx, case_id)) == ["danach"]
    lock_version, state, next_timer_at, status = _snapshot(ctx, runaway)
    assert (state, next_timer_at, status) == before[1:]  # nothing of the step was written
    assert open_tasks(ctx, runaway) == {}
    (failure,) = _failures(ctx)
    assert (failure.case_id, failure.step, failure.element_id, failure.element_name, failure.kind) == (
        runaway,
        "timer",
        "zaehlen",
        "Zählen",
        "time",
    )
    assert failure.lock_version == lock_version and len(failure.reference) == 8
    assert failure.resolved_at is None


def test_a_failed_timer_step_is_recorded_once_and_tried_again_only_after_a_retry(ctx, clock):
    deploy_process(ctx, "test", COUNTING_TIMER_MODEL)
    runaway = open_case(ctx, COUNSELLOR, {"anzahl": 1}, process_key="zaehlwecker").case_id
    later = clock.now() + timedelta(hours=2)
    assert sweep_timers(ctx, now=later).failed == [runaway]
    for minutes in (1, 2, 3):  # the next sweeps leave the case alone: no second try, no second record
        began = time.monotonic()
        report = sweep_timers(ctx, now=later + timedelta(minutes=minutes))
        assert (report.failed, report.fired) == ([], 0) and time.monotonic() - began < 0.5
    (failure,) = _failures(ctx)
    with pytest.raises(NotPermitted):
        retry_step(ctx, COUNSELLOR, failure.id)
    assert [view.reference for view in open_failures(ctx, TEAM_LEAD)] == [failure.reference]
    retry_step(ctx, TEAM_LEAD, failure.id, runaway)
    assert open_failures(ctx, TEAM_LEAD) == []
    assert sweep_timers(ctx, now=later + timedelta(minutes=4)).failed == [runaway]  # tried again
    assert [row.resolved_by for row in _failures(ctx)] == ["tara", None]


def test_a_runaway_when_a_task_is_submitted_stores_nothing_of_the_step(ctx):
    deploy_process(ctx, "test", COUNTING_TASK_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="zaehlaufgabe").case_id
    task_id = task_id_for(ctx, case_id, "erfassen")
    before = _snapshot(ctx, case_id)
    began = time.monotonic()
    with pytest.raises(StepFailed) as failed:
        complete_task(ctx, COUNSELLOR, task_id, {"anzahl": 1, "notiz": "vertraulich"})
    assert time.monotonic() - began < 3.0  # the default bound of 1 s, and the record
    assert _snapshot(ctx, case_id) == before and list(open_tasks(ctx, case_id)) == ["erfassen"]
    message = failed.value.message("de")
    assert "»Zählen«" in message and "Zeitgrenze" in message and failed.value.facts["reference"] in message
    assert "vertraulich" not in failed.value.english
    # the same step on the same state again: still one record, with the same reference
    with pytest.raises(StepFailed) as again:
        complete_task(ctx, COUNSELLOR, task_id, {"anzahl": 1})
    assert again.value.facts["reference"] == failed.value.facts["reference"]
    (failure,) = _failures(ctx)
    assert (failure.step, failure.kind, failure.case_id) == ("task", "time", case_id)
    assert "vertraulich" not in failure.detail
    # with data the script can handle, the task goes through
    complete_task(ctx, COUNSELLOR, task_id, {"anzahl": 0})
    assert list(open_tasks(ctx, case_id)) == ["danach"]


def test_a_model_error_is_recorded_without_the_case_data_in_its_message(ctx):
    deploy_process(ctx, "test", COUNTING_TASK_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="zaehlaufgabe").case_id
    task_id = task_id_for(ctx, case_id, "erfassen")
    with pytest.raises(StepFailed) as failed:  # no anzahl: the script fails with a NameError
        complete_task(ctx, COUNSELLOR, task_id, {"notiz": "Frau Beispiel, Tel 0171"})
    assert failed.value.facts["kind"] == "error"
    (failure,) = _failures(ctx)
    assert failure.kind == "error" and "Beispiel" not in failure.detail and "0171" not in failure.detail


def test_a_runaway_when_a_case_is_opened_stores_no_case(ctx):
    deploy_process(ctx, "test", COUNTING_START_MODEL)
    with pytest.raises(StepFailed) as failed:
        open_case(ctx, COUNSELLOR, {"anzahl": 1}, process_key="zaehlstart")
    assert failed.value.facts["case_id"] is None
    with ctx.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    (failure,) = _failures(ctx)
    assert (failure.case_id, failure.step, failure.kind) == (None, "opening", "time")
    assert open_case(ctx, COUNSELLOR, {"anzahl": 0}, process_key="zaehlstart").reference


def test_a_runaway_after_neuer_vorfall_leaves_the_case_as_it_was(ctx):
    deploy_process(ctx, "test", COUNTING_INCIDENT_MODEL)
    case_id = open_case(ctx, COUNSELLOR, {"anzahl": 1}, process_key="zaehlvorfall").case_id
    before = _snapshot(ctx, case_id)
    with pytest.raises(StepFailed) as failed:
        report_incident(ctx, COUNSELLOR, case_id)
    assert failed.value.facts["element_name"] == "Zählen"
    assert _snapshot(ctx, case_id) == before and list(open_tasks(ctx, case_id)) == ["begleiten"]
    (failure,) = _failures(ctx)
    assert (failure.case_id, failure.step, failure.kind) == (case_id, "incident", "time")


def test_a_runaway_when_a_strafantrag_is_recorded_stores_nothing(ctx):
    model = COUNTING_INCIDENT_MODEL.replace(b'name="neuer_vorfall"', b'name="strafantrag_frist"')
    deploy_process(ctx, "test", model)
    case_id = open_case(ctx, COUNSELLOR, {"anzahl": 1}, process_key="zaehlvorfall").case_id
    before = _snapshot(ctx, case_id)
    with pytest.raises(StepFailed):
        record_offence(ctx, COUNSELLOR, case_id, "beleidigung", date(2026, 5, 20), date(2026, 5, 20))
    assert _snapshot(ctx, case_id) == before
    with ctx.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).select_from(StrafantragRow)) == 0
    (failure,) = _failures(ctx)
    assert (failure.case_id, failure.step, failure.element_name) == (case_id, "strafantrag", "Zählen")


def test_after_migration_to_a_fixed_version_the_sweep_fires_the_failed_timer(ctx, clock):
    source = deploy_process(ctx, "test", COUNTING_TIMER_MODEL)
    runaway = open_case(ctx, COUNSELLOR, {"anzahl": 1}, process_key="zaehlwecker").case_id
    later = clock.now() + timedelta(hours=2)
    assert sweep_timers(ctx, now=later).failed == [runaway]
    fixed = COUNTING_TIMER_MODEL.replace(b"while n != 0:\n    n = n + 1\n", b"")
    target = deploy_process(ctx, "test", fixed)
    [check] = dry_run(ctx, source.version_id, target.version_id).movable
    [moved] = migrate_cases(ctx, "paul", source.version_id, target.version_id, {runaway: check.lock_version})
    assert moved.migrated
    report = sweep_timers(ctx, now=later + timedelta(minutes=1))
    assert (report.fired, report.failed) == (1, [])
    assert list(open_tasks(ctx, runaway)) == ["danach"]
