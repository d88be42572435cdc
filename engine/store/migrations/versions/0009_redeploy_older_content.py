"""A version's content may come back as a newer version (a rollback): the content hash is no longer unique.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_process_versions_sha256", type_="unique")
        batch_op.create_index("ix_process_versions_sha256", ["sha256"], unique=False)


def downgrade() -> None:
    """Fails while two versions share their content; remove the rollback versions first."""
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_process_versions_sha256")
        batch_op.create_unique_constraint("uq_process_versions_sha256", ["sha256"])
