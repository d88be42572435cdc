"""Statistics: durations in working time stored when they happen, and the topics of a request.

``cases.first_contact_tenths`` (working time from opening to the first reply, tenths of an hour, set with
``first_contact_at``), ``cases.first_referral_tenths`` (to the case's first referral, set with it),
``referrals.opened_tenths`` (working time from the case's opening to this referral) and
``cases.request_topics`` (the projected ``anliegen_themen``, space-separated codes). Rows from before stay
NULL and are computed from the calendar when a report needs them.

Revision ID: 0022
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("first_contact_tenths", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("first_referral_tenths", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("request_topics", sa.String(200), nullable=True))
    op.add_column("referrals", sa.Column("opened_tenths", sa.Integer(), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite >= 3.35): a batch copy of ``cases`` would drop the old table, and with
    # foreign keys on that deletes every row referring to a case
    op.drop_column("referrals", "opened_tenths")
    for column in ("request_topics", "first_referral_tenths", "first_contact_tenths"):
        op.drop_column("cases", column)
