"""The header's AKUT alert: open tasks of AKUT cases nobody has claimed yet, for everyone who may claim them."""

from __future__ import annotations

from sqlalchemy import Connection, Select, bindparam, func, literal_column, select

from engine.kernel.actor import Actor
from engine.store.tables import Task

ACUTE = "AKUT"  # pinned first in every tab and sort of the inbox
# As a literal in statements: PostgreSQL's generic plan of a prepared statement can then use the
# partial indexes on the tasks of AKUT cases.
ACUTE_LITERAL = literal_column(f"'{ACUTE}'")
_statements: dict[bool, Select] = {}


def unclaimed_acute_count(actor: Actor) -> Select:
    """How many open tasks of AKUT cases nobody has claimed in the person's groups (a team lead's: in any
    group), with the groups as the parameter ``groups``; one partial index answers it. Literals rather
    than parameters for the fixed values, so that PostgreSQL's generic plan uses that index."""
    found = _statements.get(actor.is_team_lead)
    if found is None:
        query = (
            select(func.count())
            .select_from(Task)
            .where(
                Task.status == literal_column("'open'"),
                Task.case_risk_level == ACUTE_LITERAL,
                Task.assignee.is_(None),
            )
        )
        if not actor.is_team_lead:
            query = query.where(Task.candidate_group.in_(bindparam("groups", expanding=True)))
        found = _statements[actor.is_team_lead] = query
    return found


def unclaimed_acute(connection: Connection, actor: Actor) -> int:
    """How many tasks of AKUT cases wait unclaimed in the person's groups (for team leads: in any group)."""
    if not actor.is_team_lead and not actor.groups:
        return 0
    params = {} if actor.is_team_lead else {"groups": sorted(actor.groups)}
    return int(connection.execute(unclaimed_acute_count(actor), params).scalar_one())
