"""The steps the inbox can be filtered by: the user tasks of a process version, counselling steps apart
from the team leads' escalation steps."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from engine.bpmn.dialect import ESCALATION_PROPERTY
from engine.kernel.context import EngineContext


@dataclass(frozen=True)
class StepGroups:
    """(element id, name) of a version's user tasks: the work itself, and the escalations of overdue work."""

    work: tuple[tuple[str, str], ...]
    escalations: tuple[tuple[str, str], ...]


def process_steps(ctx: EngineContext, connection: Connection, version_id: int) -> StepGroups:
    """The user tasks of a process version in two groups, read on the caller's connection."""
    with Session(bind=connection) as session:
        process = ctx.process(session, version_id)
    escalation = {
        task.bpmn_id
        for spec in [process.spec, *process.subprocess_specs.values()]
        for task in spec.task_specs.values()
        if ((getattr(task, "extensions", None) or {}).get(ESCALATION_PROPERTY) == "true")
    }
    steps = process.user_tasks()
    return StepGroups(
        work=tuple(step for step in steps if step[0] not in escalation),
        escalations=tuple(step for step in steps if step[0] in escalation),
    )
