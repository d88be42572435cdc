"""The coarsened statistical values of a purged case (``engine.cases.coarsening``).

* ``cases.statistics_period``: the period a purged case's opening is kept at once its values were coarsened
  (``2024-03``, ``2024-Q1``, ``2024``, or empty when not even the year is kept); NULL while not coarsened.
* ``cases.statistics_referral``: whether the coarsened case was referred (``ja``, ``nein``, empty when
  unknown); its referral rows are gone by then.
* ``legal_hold_changes``: each legal hold set or released, its reason sealed (it stood in clear in the audit
  trail's detail before; those details are left as they are, this migration cannot seal them without the keys).

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("statistics_period", sa.String(7), nullable=True))
    op.add_column("cases", sa.Column("statistics_referral", sa.String(4), nullable=True))
    op.create_table(
        "legal_hold_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("hold", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_legal_hold_changes_case_id", "legal_hold_changes", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_legal_hold_changes_case_id", table_name="legal_hold_changes")
    op.drop_table("legal_hold_changes")
    # plain DROP COLUMN (SQLite >= 3.35): a batch copy of ``cases`` would drop the old table, and with
    # foreign keys on that deletes every row referring to a case
    op.drop_column("cases", "statistics_referral")
    op.drop_column("cases", "statistics_period")
