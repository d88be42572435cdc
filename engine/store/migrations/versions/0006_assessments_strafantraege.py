"""Risk assessments stored as records of their own, and Strafantrag periods per offence.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("assessed_at", UtcDateTime(), nullable=False),
        sa.Column("assessed_by", sa.String(100), nullable=False),
        sa.Column("incident", sa.Boolean(), nullable=False),
        sa.Column("proposal", sa.String(10), nullable=True),
        sa.Column("rule", sa.String(20), nullable=True),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_risk_assessments_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_risk_assessments"),
        sa.UniqueConstraint("task_id", name="uq_risk_assessments_task_id"),
    )
    op.create_index("ix_risk_assessments_case_id", "risk_assessments", ["case_id"])
    op.create_table(
        "strafantraege",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("offence", sa.String(40), nullable=False),
        sa.Column("learned_of_offence", sa.Date(), nullable=False),
        sa.Column("learned_of_offender", sa.Date(), nullable=True),
        sa.Column("land", sa.String(2), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("moved_from", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reminders_started", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_strafantraege_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_strafantraege"),
    )
    op.create_index("ix_strafantraege_case_id", "strafantraege", ["case_id"])
    op.create_index("ix_strafantraege_deadline", "strafantraege", ["deadline"])


def downgrade() -> None:
    op.drop_table("strafantraege")
    op.drop_table("risk_assessments")
