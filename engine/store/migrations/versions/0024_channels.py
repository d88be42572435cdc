"""Referral answers in the mail intake and reply templates (``engine.store.channel_tables``).

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_inbound_messages_referral_id_referrals",
            "referrals",
            ["referral_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_inbound_messages_referral_id", ["referral_id"])
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reply_templates"),
        sa.UniqueConstraint("title", name="uq_reply_templates_title"),
    )


def downgrade() -> None:
    op.drop_table("reply_templates")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_referral_id")
        batch_op.drop_constraint("fk_inbound_messages_referral_id_referrals", type_="foreignkey")
        batch_op.drop_column("referral_id")
