"""Service settings (``engine.store.setting_tables``): four-eyes confirmation for lowering a risk level.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("four_eyes_lowering", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_service_settings_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_service_settings"),
    )


def downgrade() -> None:
    op.drop_table("service_settings")
