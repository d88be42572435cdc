"""The header's AKUT alert: open tasks of AKUT cases nobody has claimed yet, for everyone who may claim them."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from engine.inbox.query import ACUTE
from engine.kernel.actor import Actor
from engine.store.tables import Task


def unclaimed_acute(connection: Connection, actor: Actor) -> int:
    """How many tasks of AKUT cases wait unclaimed in the person's groups (for team leads: in any group)."""
    query = (
        select(func.count())
        .select_from(Task)
        .where(Task.status == "open", Task.case_risk_level == ACUTE, Task.assignee.is_(None))
    )
    if not actor.is_team_lead:
        if not actor.groups:
            return 0
        query = query.where(Task.candidate_group.in_(sorted(actor.groups)))
    return int(connection.execute(query).scalar_one())
