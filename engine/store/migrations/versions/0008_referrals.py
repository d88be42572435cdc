"""Referral directory (support offers with their change history) and the referrals of cases.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("lands", sa.String(60), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("incident_types", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(100), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("web", sa.String(300), nullable=False),
        sa.Column("form_url", sa.String(300), nullable=False),
        sa.Column("opening_hours", sa.String(200), nullable=False),
        sa.Column("languages", sa.String(200), nullable=False),
        sa.Column("warm_handover", sa.Boolean(), nullable=False),
        sa.Column("internal_only", sa.Boolean(), nullable=False),
        sa.Column("source_url", sa.String(300), nullable=False),
        sa.Column("last_verified", sa.Date(), nullable=True),
        sa.Column("confidence", sa.String(4), nullable=False),
        sa.Column("verify", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_support_offers"),
        sa.UniqueConstraint("key", name="uq_support_offers_key"),
    )
    op.create_index("ix_support_offers_active_category", "support_offers", ["retired_at", "category"])
    op.create_table(
        "support_offer_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["support_offers.id"],
            name="fk_support_offer_changes_offer_id_support_offers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_support_offer_changes"),
    )
    op.create_index("ix_support_offer_changes_offer_id", "support_offer_changes", ["offer_id"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("consent_facts", sa.String(200), nullable=False),
        sa.Column("consent_at", UtcDateTime(), nullable=True),
        sa.Column("handover_recipient", sa.String(200), nullable=True),
        sa.Column("handover_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_referrals_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["support_offers.id"], name="fk_referrals_offer_id_support_offers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_referrals"),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_referrals_case_id", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("ix_support_offer_changes_offer_id", table_name="support_offer_changes")
    op.drop_table("support_offer_changes")
    op.drop_index("ix_support_offers_active_category", table_name="support_offers")
    op.drop_table("support_offers")
