"""The inbox reads the task projection alone: the case facts it shows and filters by move onto the tasks.

* ``tasks.case_reference``, ``case_risk_level``, ``case_land``, ``case_escalated``: copies of the case's
  columns, filled here from the cases and kept in line by the engine in the transaction that changes the
  case (``engine.store.case_store``) while a task is open; a finished task keeps them as they were then.
* The two inbox indexes in sort order (0004) carry the step, the risk level and the Land (INCLUDE, on
  PostgreSQL) instead of the case id: a filtered list or count is answered from the index alone.
* The same two lists sorted by priority (a quarter of the pages): indexes in that order too, so such a
  page reads 25 index entries instead of sorting every open task (team lead 12 ms -> 0.2 ms).
* Partial indexes on open tasks by risk level (and Land), by Land and by step: the filtered total of
  all open tasks reads a range of one of them instead of every open task (2.7 ms -> 0.03-0.7 ms).
* The indexes on cases by Land and risk level (0004) served only the inbox's join: dropped, one write
  less whenever a case's risk level or Land changes.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
OPEN_UNASSIGNED = "status = 'open' AND assignee IS NULL"
FACTS = {
    "case_reference": "reference",
    "case_risk_level": "risk_level",
    "case_land": "land",
    "case_escalated": "escalated",
}
# what the inbox filters by beside the index keys: read from its indexes without visiting the table
INCLUDE = ["element_id", "case_risk_level", "case_land"]
# the filtered totals of all open tasks: by risk level (and Land), by Land, by step
FILTER_INDEXES = {
    "risk_land": ("case_risk_level", "case_land"),
    "land": ("case_land",),
    "step": ("element_id",),
}


def upgrade() -> None:
    op.add_column("tasks", sa.Column("case_reference", sa.String(32), nullable=True))
    op.add_column("tasks", sa.Column("case_risk_level", sa.String(16), nullable=True))
    op.add_column("tasks", sa.Column("case_land", sa.String(4), nullable=True))
    op.add_column(
        "tasks", sa.Column("case_escalated", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    _backfill()
    _inbox_indexes(INCLUDE)
    _priority_indexes()
    for name, columns in FILTER_INDEXES.items():
        op.create_index(
            f"ix_tasks_open_{name}",
            "tasks",
            list(columns),
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
    op.drop_index("ix_cases_risk_land", table_name="cases")
    op.drop_index("ix_cases_land_risk", table_name="cases")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE tasks")


def downgrade() -> None:
    op.create_index("ix_cases_land_risk", "cases", ["land", "risk_level", "id"])
    op.create_index("ix_cases_risk_land", "cases", ["risk_level", "land", "id"])
    for name in FILTER_INDEXES:
        op.drop_index(f"ix_tasks_open_{name}", table_name="tasks")
    op.drop_index("ix_tasks_open_unassigned_priority", table_name="tasks")
    op.drop_index("ix_tasks_open_priority", table_name="tasks")
    _inbox_indexes(["case_id", "element_id"])
    for column in FACTS:
        op.drop_column("tasks", column)


def _backfill() -> None:
    if op.get_bind().dialect.name == "postgresql":
        copied = ", ".join(f"{task} = c.{case}" for task, case in FACTS.items())
        op.execute(f"UPDATE tasks SET {copied} FROM cases AS c WHERE c.id = tasks.case_id")
        return
    copied = ", ".join(
        f"{task} = (SELECT cases.{case} FROM cases WHERE cases.id = tasks.case_id)"
        for task, case in FACTS.items()
    )
    op.execute(f"UPDATE tasks SET {copied}")


def _inbox_indexes(include: list[str]) -> None:
    """Rebuild the inbox's two indexes in sort order with these columns included (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE: its indexes stay as they are
    op.drop_index("ix_tasks_open_unassigned", table_name="tasks")
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        ["due_at", sa.text("priority DESC"), "id"],
        postgresql_include=include,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_tasks_open_unassigned",
        "tasks",
        ["candidate_group", "due_at", sa.text("priority DESC"), "id"],
        postgresql_include=include,
        postgresql_where=sa.text(OPEN_UNASSIGNED),
        sqlite_where=sa.text(OPEN_UNASSIGNED),
    )


def _priority_indexes() -> None:
    """The two lists in sort order once more, by priority first (a quarter of the pages ask for it)."""
    op.create_index(
        "ix_tasks_open_priority",
        "tasks",
        [sa.text("priority DESC"), "due_at", "id"],
        postgresql_include=INCLUDE,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_tasks_open_unassigned_priority",
        "tasks",
        ["candidate_group", sa.text("priority DESC"), "due_at", "id"],
        postgresql_include=INCLUDE,
        postgresql_where=sa.text(OPEN_UNASSIGNED),
        sqlite_where=sa.text(OPEN_UNASSIGNED),
    )
