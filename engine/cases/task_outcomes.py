"""What a completed task leaves behind outside the workflow: assessment records, Strafantrag status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.cases.assessments import record_assessment
from engine.kernel.context import EngineContext
from engine.strafantrag.periods import note_reminder_outcome


def after_completion(
    ctx: EngineContext,
    session: Session,
    case_id: int,
    instance: Instance,
    element_id: str,
    task_id: str,
    actor: str,
    now: datetime,
) -> None:
    """Called in the completing transaction, after the engine has moved on."""
    record_assessment(ctx, session, case_id, instance, task_id, element_id, actor, now)
    note_reminder_outcome(session, instance, task_id, element_id, now)
