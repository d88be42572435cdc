"""The inbox reads a person's own open tasks, and the tasks of AKUT cases, from small indexes alone.

* ``ix_tasks_open_assignee_due`` held the assignee and due time only, so a filtered list or count of a
  person's own tasks visited the table for every row, and PostgreSQL, misjudging how many open tasks a
  step has (a step's tasks are mostly finished ones), often went through the step's index instead: 1,500
  table rows read for three (4 to 7 ms on 100,000 cases). In the inbox's sort order and carrying the
  step, risk level and Land (INCLUDE, as the other inbox indexes do), a person's few hundred open tasks
  are filtered, counted and paged from the index (0.05 to 0.5 ms).
* Every list shows the tasks of AKUT cases first, read as a part of their own; that part went through a
  group's (or all) open tasks skipping the others: on a later page, or under a filter, 13,000 to 25,000
  index entries for a few hundred rows (2 to 6 ms). The unclaimed AKUT tasks by group (the header's
  alert, 0026) now in the list's order with the same INCLUDE, and the open AKUT tasks of all groups
  for the team leads' "Alle offenen".

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
OPEN_ACUTE = "status = 'open' AND case_risk_level = 'AKUT'"
UNCLAIMED_ACUTE = "status = 'open' AND assignee IS NULL AND case_risk_level = 'AKUT'"
INCLUDE = ["element_id", "case_risk_level", "case_land"]
ORDER = ["due_at", sa.text("priority DESC"), "id"]


def _index(name: str, columns: list, where: str, include: list[str] | None = None) -> None:
    op.create_index(
        name,
        "tasks",
        columns,
        postgresql_include=include or [],
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_tasks_open_assignee_due", table_name="tasks")
    op.drop_index("ix_tasks_open_unclaimed_acute", table_name="tasks")
    _index("ix_tasks_open_assignee_due", ["assignee", *ORDER], OPEN, INCLUDE)
    _index("ix_tasks_open_unclaimed_acute", ["candidate_group", *ORDER], UNCLAIMED_ACUTE, INCLUDE)
    _index("ix_tasks_open_acute", ORDER, OPEN_ACUTE, INCLUDE)


def downgrade() -> None:
    for name in ("ix_tasks_open_acute", "ix_tasks_open_unclaimed_acute", "ix_tasks_open_assignee_due"):
        op.drop_index(name, table_name="tasks")
    _index("ix_tasks_open_assignee_due", ["assignee", "due_at"], OPEN)
    _index("ix_tasks_open_unclaimed_acute", ["candidate_group"], UNCLAIMED_ACUTE)
