"""Indexes for the inbox at scale (100,000 cases, a million task rows).

* Open tasks by due date, and unassigned open tasks by group and due date: partial (open tasks only)
  and in the inbox's sort order, so a page is read in index order and the tab counts come from the
  index alone. On PostgreSQL they also carry the case and the step (INCLUDE), so the filter on the step
  and the join to the case need no table access.
* Cases by Land and by risk level (with the id), for the inbox filters on those.
* PostgreSQL only: statistics on how task status, assignee and group go together (an unassigned task
  is nearly always an open one); without them the planner misjudges the size of a group's open tasks
  by a factor of fifty and picks a nested loop for the filtered counts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
OPEN_UNASSIGNED = "status = 'open' AND assignee IS NULL"
STATISTICS = "stat_tasks_status_assignee_group"


def upgrade() -> None:
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        ["due_at", sa.text("priority DESC"), "id"],
        postgresql_include=["case_id", "element_id"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_tasks_open_unassigned",
        "tasks",
        ["candidate_group", "due_at", sa.text("priority DESC"), "id"],
        postgresql_include=["case_id", "element_id"],
        postgresql_where=sa.text(OPEN_UNASSIGNED),
        sqlite_where=sa.text(OPEN_UNASSIGNED),
    )
    op.create_index("ix_cases_land_risk", "cases", ["land", "risk_level", "id"])
    op.create_index("ix_cases_risk_land", "cases", ["risk_level", "land", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS {STATISTICS} (mcv) ON status, assignee, candidate_group FROM tasks")
        op.execute("ANALYZE tasks")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.drop_index("ix_cases_risk_land", table_name="cases")
    op.drop_index("ix_cases_land_risk", table_name="cases")
    op.drop_index("ix_tasks_open_unassigned", table_name="tasks")
    op.drop_index("ix_tasks_open_due", table_name="tasks")
