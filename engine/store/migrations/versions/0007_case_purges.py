"""Retention purge: which closed cases lost their content, when and after how many months.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_purges",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE", name="fk_case_purges_case_id_cases"),
            nullable=False,
        ),
        sa.Column("purged_at", UtcDateTime(), nullable=False),
        sa.Column("purged_by", sa.String(100), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("notes_deleted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_purges"),
    )


def downgrade() -> None:
    op.drop_table("case_purges")
