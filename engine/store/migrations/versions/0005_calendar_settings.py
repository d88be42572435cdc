"""Calendar settings kept by administrators: office hours, Land, closure days (one row at most).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.Column("weekdays", sa.String(20), nullable=False),
        sa.Column("land", sa.String(2), nullable=False),
        sa.Column("recurring_closures", sa.Text(), nullable=False),
        sa.Column("closures", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_calendar_settings_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_settings"),
    )


def downgrade() -> None:
    op.drop_table("calendar_settings")
