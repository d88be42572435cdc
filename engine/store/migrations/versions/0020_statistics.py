"""Statistics: monthly snapshots (``engine.store.statistics_tables``) and two projected case columns,
``incident_types`` (space-separated codes of ``vorfallarten``) and ``incident_channel`` (``vorfallkanal``).

Revision ID: 0020
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


INDEXES = {
    "ix_cases_closed_at": ("cases", ["closed_at"]),
    "ix_referrals_created_at": ("referrals", ["created_at"]),
    "ix_case_contacts_at": ("case_contacts", ["at"]),
    "ix_tasks_due_at": ("tasks", ["due_at"]),
    "ix_risk_assessments_assessed_at": ("risk_assessments", ["assessed_at"]),
    "ix_strafantraege_recorded_at": ("strafantraege", ["recorded_at"]),
    "ix_audit_events_action_at": ("audit_events", ["action", "at"]),
}


def upgrade() -> None:
    op.add_column("cases", sa.Column("incident_types", sa.String(200), nullable=True))
    op.add_column("cases", sa.Column("incident_channel", sa.String(40), nullable=True))
    op.create_table(
        "statistics_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("figure", sa.String(40), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_statistics_snapshots_month", "statistics_snapshots", ["month", "figure", "key"], unique=True
    )
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
    op.drop_index("ix_statistics_snapshots_month", table_name="statistics_snapshots")
    op.drop_table("statistics_snapshots")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("incident_channel")
        batch.drop_column("incident_types")
