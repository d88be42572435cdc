"""Migrating running cases between process versions: dry run, bulk migration, stale cases, bad input.

Target versions are edits of the shipped model's text (benchmarks/migrate.py), deployed for real;
cases are driven to their steps through the real use cases, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from benchmarks.migrate import (
    PRAEVENTION_CHAIN,
    REFUSED_ON_TARGET,
    STEPS,
    drive,
    shipped_models,
    target_model,
    with_extra_step,
)
from benchmarks.models import sequential_model
from engine.cases.lifecycle import complete_task
from engine.deadlines.timer_sweep import sweep_timers
from engine.demo.seed import EINGANG, RISIKO_NEUTRAL, VERMITTLUNG
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext
from engine.processes.deployment import Deployment, deploy_process
from engine.processes.migration import MigrationNotPossible, dry_run, migrate_cases, migration_versions
from engine.store.case_store import RECORD_COLUMNS, binding, record_from_row
from engine.store.tables import AuditEvent, Case, OutboxMessage, Task
from tests.conftest import COUNSELLOR, MONDAY_MORNING, TEAM_LEAD
from tests.steps import assert_state_round_trips, case_row, open_tasks, stored_variables, task_id_for


def _deploy_source(ctx: EngineContext) -> Deployment:
    bpmn, dmn = shipped_models()
    return deploy_process(ctx, "paul", bpmn, dmn)


def _deploy_target(ctx: EngineContext, edit=target_model) -> Deployment:
    """The edited model as version 2 (deployed after the cases were opened: new cases start on it)."""
    bpmn, dmn = shipped_models()
    target = deploy_process(ctx, "paul", edit(bpmn), dmn)
    assert (target.version, target.created) == (2, True)
    return target


def _fresh_ready_steps(ctx: EngineContext, case_id: int) -> set[str]:
    """The READY user tasks of the stored instance, deserialized from the database on its version."""
    with ctx.unit_of_work(writes=False) as session:
        record = record_from_row(session.execute(select(*RECORD_COLUMNS).where(Case.id == case_id)).one())
        process = ctx.process(session, record.process_version_id)
    instance = ctx.runtime.load(ctx.vault.open(record.state, binding(case_id)), process)
    return {task.element_id for task in instance.human_tasks()}


def _audit(ctx: EngineContext, action: str) -> list[tuple[int, str, str]]:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(AuditEvent.case_id, AuditEvent.actor, AuditEvent.detail)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.case_id)
        ).all()
    return [tuple(row) for row in rows]


def test_dry_run_and_bulk_migration_of_200_cases_at_mixed_steps(ctx: EngineContext, clock: ManualClock):
    source = _deploy_source(ctx)
    steps = sorted(STEPS)
    where: dict[int, str] = {}
    for number in range(200):
        step = steps[number % len(steps)]
        where[drive(ctx, step, MONDAY_MORNING + timedelta(seconds=number))] = step
    target = _deploy_target(ctx)
    clock.set(MONDAY_MORNING + timedelta(hours=1))

    report = dry_run(ctx, source.version_id, target.version_id)

    assert report.added == ("sicherheitsgespraech",)
    assert set(report.removed) == {"praevention", *PRAEVENTION_CHAIN}
    assert {"vermittlung", "vor_praevention"} <= set(report.changed)  # the gateway before the removed step
    assert len(report.movable) + len(report.refused) == 200
    refused = {check.case_id: check for check in report.refused}
    assert {where[case_id] for case_id in refused} == set(REFUSED_ON_TARGET)
    for case_id, step in where.items():
        if step in REFUSED_ON_TARGET:
            check = refused[case_id]
            kinds = {refusal.kind: refusal for refusal in check.refusals}
            assert set(kinds) == {REFUSED_ON_TARGET[step]}, (step, check.refusals)
            named = next(iter(kinds.values()))
            assert named.message("de") and named.message("en") and named.message("de") != named.message("en")
    by_kind = {r.kind: r for check in report.refused for r in check.refusals}
    assert by_kind["completed_changed"].element_id == "vermittlung"
    assert by_kind["completed_changed"].changes == ("form",)
    assert "Formular" in by_kind["completed_changed"].message("de")
    assert by_kind["completed_removed"].element_id == "praevention"
    open_removed = {r.element_id: r for c in report.refused for r in c.refusals if r.kind == "open_removed"}
    assert "Präventionsmaterial anbieten" in open_removed["praevention"].message("de")
    # nothing was written by the dry run
    with ctx.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).where(Case.process_version_id == target.version_id)) == 0
    # deadlines: an unchanged open task keeps its due time
    movable = {check.case_id: check for check in report.movable}
    at_vermittlung = next(c for c, s in where.items() if s == "vermittlung")
    [deadline] = movable[at_vermittlung].deadlines
    assert deadline.element_id == "vermittlung" and deadline.due_after == deadline.due_before is not None

    chosen = {check.case_id: check.lock_version for check in report.movable}
    chosen.update({case_id: check.lock_version for case_id, check in list(refused.items())[:3]})
    results = migrate_cases(ctx, "paul", source.version_id, target.version_id, chosen)

    outcome = {result.case_id: result for result in results}
    assert sum(result.migrated for result in results) == len(report.movable)
    for case_id in list(refused)[:3]:
        assert not outcome[case_id].migrated and outcome[case_id].refusals == refused[case_id].refusals
    with ctx.unit_of_work(writes=False) as session:
        versions = dict(session.execute(select(Case.id, Case.process_version_id)).all())
    assert {case_id for case_id, version in versions.items() if version == target.version_id} == set(movable)
    audited = _audit(ctx, "case_migrated")
    assert [case_id for case_id, _, _ in audited] == sorted(movable)
    assert {(actor, detail) for _, actor, detail in audited} == {("paul", "fallbearbeitung v1→v2")}
    # the projection still matches each instance, and migrated cases keep working on the new version
    for case_id in movable:
        assert set(open_tasks(ctx, case_id)) == _fresh_ready_steps(ctx, case_id)
    ctx.instances.clear()
    complete_task(
        ctx,
        COUNSELLOR,
        task_id_for(ctx, at_vermittlung, "vermittlung"),
        {"vermittlungsziele": ["hateaid"], "notiz_zur_vermittlung": "neu"},
    )
    assert "sicherheitsgespraech" in open_tasks(ctx, at_vermittlung)
    assert stored_variables(ctx, at_vermittlung)["notiz_zur_vermittlung"] == "neu"
    assert_state_round_trips(ctx, at_vermittlung)
    # a second migration of the same cases finds them no longer on the source version
    again = migrate_cases(ctx, "paul", source.version_id, target.version_id, {at_vermittlung: 1})
    assert not again[0].migrated and again[0].refusals[0].kind == "not_on_source"


def test_a_case_changed_after_the_dry_run_is_reported_stale_and_left_alone(ctx, clock):
    source = _deploy_source(ctx)
    stale = drive(ctx, "risikoeinschaetzung", MONDAY_MORNING)
    fine = drive(ctx, "eingang", MONDAY_MORNING)
    target = _deploy_target(ctx, with_extra_step)
    report = dry_run(ctx, source.version_id, target.version_id)
    seen = {check.case_id: check.lock_version for check in report.movable}
    assert set(seen) == {stale, fine}
    before = case_row(ctx, stale)
    complete_task(
        ctx,
        COUNSELLOR,
        task_id_for(ctx, stale, "risikoeinschaetzung"),
        RISIKO_NEUTRAL,
    )
    after_step = case_row(ctx, stale)
    assert after_step.lock_version == before.lock_version + 1

    results = {r.case_id: r for r in migrate_cases(ctx, "paul", source.version_id, target.version_id, seen)}

    assert results[fine].migrated and not results[stale].migrated
    assert [r.kind for r in results[stale].refusals] == ["stale"]
    assert "Probelauf" in results[stale].refusals[0].message("de")
    row = case_row(ctx, stale)
    assert (row.process_version_id, row.lock_version, row.state) == (
        source.version_id,
        after_step.lock_version,
        after_step.state,
    )
    assert [case_id for case_id, _, _ in _audit(ctx, "case_migrated")] == [fine]


def test_changed_due_date_of_an_open_task_is_computed_anew_and_titles_follow(ctx, clock):
    def later_intake(bpmn: bytes) -> bytes:
        return bpmn.replace(
            b'<bpmn:userTask id="eingang" name="Eingang erfassen" camunda:candidateGroups="beratung" '
            b'camunda:dueDate="arbeitsstunden(2)">',
            b'<bpmn:userTask id="eingang" name="Eingang aufnehmen" camunda:candidateGroups="teamleitung" '
            b'camunda:dueDate="arbeitsstunden(4)">',
        )

    source = _deploy_source(ctx)
    case_id = drive(ctx, "eingang", MONDAY_MORNING)  # Monday 10:00 Berlin: due 12:00
    target = _deploy_target(ctx, later_intake)
    original = open_tasks(ctx, case_id)["eingang"]
    assert original.due_at == MONDAY_MORNING + timedelta(hours=2)
    clock.set(MONDAY_MORNING + timedelta(hours=1))  # 11:00 Berlin

    [check] = dry_run(ctx, source.version_id, target.version_id).movable
    [deadline] = check.deadlines
    assert (deadline.due_before, deadline.due_after) == (original.due_at, clock.now() + timedelta(hours=4))
    assert deadline.title == "Eingang aufnehmen" and not deadline.new

    [result] = migrate_cases(ctx, "paul", source.version_id, target.version_id, {case_id: check.lock_version})

    assert result.migrated
    task = open_tasks(ctx, case_id)["eingang"]
    assert task.id == original.id  # the same task: claims and history stay
    assert (task.title, task.candidate_group, task.due_at) == (
        "Eingang aufnehmen",
        "teamleitung",
        clock.now() + timedelta(hours=4),
    )
    ctx.instances.clear()
    complete_task(ctx, TEAM_LEAD, task.id, EINGANG)
    assert "risikoeinschaetzung" in open_tasks(ctx, case_id)


def test_a_waiting_timer_keeps_its_due_time_and_an_incident_case_moves_with_its_sub_process(ctx, clock):
    source = _deploy_source(ctx)
    waiting = drive(ctx, "warten_nachfassen", MONDAY_MORNING)
    incident = drive(ctx, "neuer_vorfall", MONDAY_MORNING)
    target = _deploy_target(ctx, with_extra_step)
    timer_before = case_row(ctx, waiting).next_timer_at
    incident_tasks = set(open_tasks(ctx, incident))
    assert "vorfall_erfassen" in incident_tasks and timer_before is not None

    report = dry_run(ctx, source.version_id, target.version_id)
    seen = {check.case_id: check.lock_version for check in report.movable}
    assert set(seen) == {waiting, incident} and not report.refused
    results = migrate_cases(ctx, "paul", source.version_id, target.version_id, seen)

    assert all(result.migrated for result in results)
    assert case_row(ctx, waiting).next_timer_at == timer_before
    assert set(open_tasks(ctx, incident)) == incident_tasks
    ctx.instances.clear()
    assert _fresh_ready_steps(ctx, incident) == incident_tasks


@pytest.mark.parametrize(
    ("pair", "german", "english"),
    [
        ("same", "dieselbe", "same version"),
        ("unknown", "gibt es nicht", "no process version"),
        ("other_process", "anderer Prozess", "different process"),
    ],
)
def test_bad_choices_are_refused_in_both_languages_and_nothing_changes(ctx, pair, german, english):
    source = _deploy_source(ctx)
    case_id = drive(ctx, "eingang", MONDAY_MORNING)
    _deploy_target(ctx, with_extra_step)
    other = deploy_process(ctx, "paul", sequential_model(2, "anderer"))
    source_id, target_id = {
        "same": (source.version_id, source.version_id),
        "unknown": (source.version_id, 999),
        "other_process": (source.version_id, other.version_id),
    }[pair]
    before = case_row(ctx, case_id)
    for action in (
        lambda: dry_run(ctx, source_id, target_id),
        lambda: migrate_cases(ctx, "paul", source_id, target_id, {case_id: before.lock_version}),
    ):
        with pytest.raises(MigrationNotPossible) as refused:
            action()
        assert german in refused.value.message("de") and english in refused.value.message("en")
    after = case_row(ctx, case_id)
    assert (after.process_version_id, after.lock_version) == (before.process_version_id, before.lock_version)
    assert _audit(ctx, "case_migrated") == []


def test_versions_list_their_open_cases(ctx):
    source = _deploy_source(ctx)
    drive(ctx, "eingang", MONDAY_MORNING)
    drive(ctx, "vermittlung", MONDAY_MORNING)
    target = _deploy_target(ctx, with_extra_step)
    versions = {v.id: v for v in migration_versions(ctx)}
    assert (versions[source.version_id].open_cases, versions[target.version_id].open_cases) == (2, 0)
    assert versions[target.version_id].version == 2 and versions[target.version_id].deployed_by == "paul"


def test_task_rows_of_migrated_cases_are_not_duplicated(ctx):
    source = _deploy_source(ctx)
    case_id = drive(ctx, "vermittlung", MONDAY_MORNING)
    target = _deploy_target(ctx, with_extra_step)
    report = dry_run(ctx, source.version_id, target.version_id)
    migrate_cases(
        ctx, "paul", source.version_id, target.version_id, {case_id: report.movable[0].lock_version}
    )
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(Task.element_id, Task.status).where(Task.case_id == case_id, Task.status == "open")
        ).all()
    assert [tuple(row) for row in rows] == [("vermittlung", "open")]


def test_a_migrated_case_runs_on_through_timers_and_the_new_step(ctx, clock):
    source = _deploy_source(ctx)
    case_id = drive(ctx, "vermittlung", MONDAY_MORNING)
    due = open_tasks(ctx, case_id)["vermittlung"].due_at
    target = _deploy_target(ctx, with_extra_step)
    [check] = dry_run(ctx, source.version_id, target.version_id).movable
    assert migrate_cases(ctx, "paul", source.version_id, target.version_id, {case_id: check.lock_version})[
        0
    ].migrated
    ctx.instances.clear()

    clock.set(due)
    assert sweep_timers(ctx, now=due).fired == 1  # the reminder boundary timer, now on version 2
    with ctx.unit_of_work(writes=False) as session:
        kinds = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.case_id == case_id)).all()
    assert kinds == ["reminder"]
    ctx.instances.clear()
    complete_task(ctx, COUNSELLOR, task_id_for(ctx, case_id, "vermittlung"), VERMITTLUNG)
    assert set(open_tasks(ctx, case_id)) == {"sicherheitsgespraech"}
    ctx.instances.clear()
    complete_task(
        ctx,
        COUNSELLOR,
        task_id_for(ctx, case_id, "sicherheitsgespraech"),
        {"sicherheitsgespraech_gefuehrt": True},
    )
    row = case_row(ctx, case_id)
    assert open_tasks(ctx, case_id) == {} and row.next_timer_at is not None and row.status == "open"
    assert_state_round_trips(ctx, case_id)
