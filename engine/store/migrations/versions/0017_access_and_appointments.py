"""Break-glass grants, discarded cases, agreed callbacks and appointments (``engine.store.access_tables``),
and ``cases.request_kind``: the projected marker of an information/prevention request (``anliegen``).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _case_id() -> sa.Column:
    return sa.Column("case_id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.add_column("cases", sa.Column("request_kind", sa.String(20), nullable=True))
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_id(),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_break_glass_grants_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_break_glass_grants"),
    )
    op.create_index(
        "ix_break_glass_grants_case_user", "break_glass_grants", ["case_id", "username", "expires_at"]
    )
    op.create_table(
        "case_discards",
        _case_id(),
        sa.Column("discarded_at", UtcDateTime(), nullable=False),
        sa.Column("discarded_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_discards_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_discards"),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.Column("escalated_at", UtcDateTime(), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.Column("done_by", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_appointments_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_appointments"),
    )
    op.create_index("ix_appointments_case_id", "appointments", ["case_id"])
    op.create_index(
        "ix_appointments_open_due",
        "appointments",
        ["due_at"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_appointments_open_due", table_name="appointments")
    op.drop_index("ix_appointments_case_id", table_name="appointments")
    op.drop_table("appointments")
    op.drop_table("case_discards")
    op.drop_index("ix_break_glass_grants_case_user", table_name="break_glass_grants")
    op.drop_table("break_glass_grants")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("request_kind")
