"""The coarsened statistical values of a purged case (``engine.cases.coarsening``).

* ``cases.statistics_period``: the period a purged case's opening is kept at once its values were coarsened
  (``2024-03``, ``2024-Q1``, ``2024``, or empty when not even the year is kept); NULL while not coarsened.
* ``cases.statistics_referral``: whether the coarsened case was referred (``ja``, ``nein``, empty when
  unknown); its referral rows are gone by then.

Revision ID: 0030
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("statistics_period", sa.String(7), nullable=True))
        batch.add_column(sa.Column("statistics_referral", sa.String(4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("statistics_referral")
        batch.drop_column("statistics_period")
