"""Step failures ("Störungen"): a case step whose model code ran out of time or memory or failed.

* ``step_failures``: one row per failed step (case, process version, the case's lock version, element,
  kind, a detail without case content, who and when, and when a person resolved or retried it).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("process_version_id", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=True),
        sa.Column("element_name", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_step_failures_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["process_version_id"],
            ["process_versions.id"],
            name="fk_step_failures_process_version_id_process_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_step_failures"),
        sa.UniqueConstraint("reference", name="uq_step_failures_reference"),
    )
    op.create_index("ix_step_failures_case_id", "step_failures", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_step_failures_case_id", table_name="step_failures")
    op.drop_table("step_failures")
