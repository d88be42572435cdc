"""E-Mail sichten as inbox tasks: who has claimed a message waiting in triage (``inbound_messages.assignee``).

Revision ID: 0029
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("assignee")
