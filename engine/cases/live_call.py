"""Keep the call: the steps that directly follow a step a counsellor completed while holding it stay hers.

The counsellor on the phone claims the step she works on (the intake is claimed for her when she opens the
case). When she completes it, the human tasks that this completion made ready in the same case, for a
group she belongs to, are claimed by her in the same transaction, so a colleague cannot take the risk
assessment mid-call and have her submit refused. She can release any of them as usual. Team-lead tasks
(escalation checks, "Teamleitung informiert") stay with the team.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.cases.risk_lowering import SECOND_PERSON_STEPS
from engine.kernel import audit
from engine.kernel.actor import TEAM_LEAD, Actor
from engine.store.tables import Task


def keep_following_steps(
    session: Session,
    actor: Actor,
    case_id: int,
    held_by: str | None,
    new_task_ids: Collection[str],
    now: datetime,
) -> list[str]:
    """Claim the newly ready tasks for ``actor`` if she held the completed step; returns their ids."""
    if held_by != actor.username or not new_task_ids:
        return []
    groups = sorted(actor.groups - {TEAM_LEAD})
    if not groups:
        return []
    rows = session.execute(
        select(Task.id, Task.element_id).where(
            Task.id.in_(sorted(new_task_ids)),
            Task.case_id == case_id,
            Task.status == "open",
            Task.assignee.is_(None),
            Task.candidate_group.in_(groups),
            Task.element_id.not_in(SECOND_PERSON_STEPS),  # a second person decides these
        )
    ).all()
    for row in rows:
        session.execute(
            update(Task).where(Task.id == row.id, Task.assignee.is_(None)).values(assignee=actor.username)
        )
        audit.record(session, now, actor.username, "task_kept", case_id, row.element_id)
    return [row.id for row in rows]
