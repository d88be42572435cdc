"""Driving cases in tests: complete a step by its BPMN element id, reloading the case from the database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.cases.lifecycle import complete_task, open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.directory.csv_exchange import load_seed
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.message_content import MessageContent, open_content
from engine.store.case_store import RECORD_COLUMNS, binding, record_from_row
from engine.store.tables import Case, OutboxMessage, Task


def open_tasks(ctx: EngineContext, case_id: int) -> dict[str, Task]:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(select(Task).where(Task.case_id == case_id, Task.status == "open")).all()
    return {row.element_id: row for row in rows}


def case_facts_on_tasks(ctx: EngineContext, case_id: int, status: str = "open") -> set[tuple[Any, ...]]:
    """The case facts the inbox reads from the tasks: (reference, risk level, Land, escalated) per row."""
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(Task.case_reference, Task.case_risk_level, Task.case_land, Task.case_escalated).where(
                Task.case_id == case_id, Task.status == status
            )
        ).all()
    return {tuple(row) for row in rows}


def case_facts(ctx: EngineContext, case_id: int) -> tuple[Any, ...]:
    """The same facts as the case row holds them."""
    row = case_row(ctx, case_id)
    return (row.reference, row.risk_level, row.land, row.escalated)


def case_row(ctx: EngineContext, case_id: int) -> Case:
    with ctx.unit_of_work(writes=False) as session:
        return session.get(Case, case_id)


def task_id_for(ctx: EngineContext, case_id: int, element_id: str) -> str:
    tasks = open_tasks(ctx, case_id)
    assert element_id in tasks, f"expected an open task {element_id}, open are {sorted(tasks)}"
    return tasks[element_id].id


def stored_variables(ctx: EngineContext, case_id: int) -> dict[str, Any]:
    """The variables as a fresh load from the database sees them (never the cached instance)."""
    with ctx.unit_of_work(writes=False) as session:
        record = record_from_row(session.execute(select(*RECORD_COLUMNS).where(Case.id == case_id)).one())
        process = ctx.process(session, record.process_version_id)
    instance = ctx.runtime.load(ctx.vault.open(record.state, binding(case_id)), process)
    return instance.variables()


def assert_state_round_trips(ctx: EngineContext, case_id: int) -> None:
    """The incrementally written state equals SpiffWorkflow's own full serialization of the same instance."""
    with ctx.unit_of_work(writes=False) as session:
        record = record_from_row(session.execute(select(*RECORD_COLUMNS).where(Case.id == case_id)).one())
        process = ctx.process(session, record.process_version_id)
    loaded = ctx.runtime.load(ctx.vault.open(record.state, binding(case_id)), process)
    cached = ctx.instances.take(case_id, record.lock_version)
    if cached is not None:
        assert ctx.runtime.full_state(cached) == ctx.runtime.full_state(loaded)
        ctx.instances.put(case_id, record.lock_version, cached)


def complete(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    element_id: str,
    values: Mapping[str, Any],
    now: datetime | None = None,
    reload: bool = True,
) -> None:
    """Complete the open task ``element_id``; with ``reload`` the case is deserialized from the database."""
    assert_state_round_trips(ctx, case_id)
    if reload:
        ctx.instances.clear()
    complete_task(ctx, actor, task_id_for(ctx, case_id, element_id), values, now=now)


def case_at_vermittlung(ctx: EngineContext, actor: Actor, level: str = "MITTEL", **eingang: Any) -> int:
    """A phone case with the directory seed loaded, taken through Eingang (an online incident in Bayern,
    unless ``eingang`` says otherwise) and the assessment confirmed at ``level``: its Vermittlung is open."""
    load_seed(ctx)
    case_id = open_case(ctx, actor, {"kontaktkanal": "telefon"}).case_id
    complete(
        ctx, actor, case_id, "eingang", {**EINGANG, "land": "BY", "vorfallkanal": "social_media", **eingang}
    )
    complete(ctx, actor, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL[level]})
    complete(ctx, actor, case_id, "risikostufe_bestaetigen", {"risikostufe": level})
    assert "vermittlung" in open_tasks(ctx, case_id)
    return case_id


def message_content(ctx: EngineContext, message: OutboxMessage) -> MessageContent:
    """What a queued outbox message says: its sealed subject and body, opened as the deliverer does."""
    assert message.sealed is not None, "the message has no content (delivered or purged)"
    return open_content(ctx.vault, message.id, message.recipient, message.sealed)
