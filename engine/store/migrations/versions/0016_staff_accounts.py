"""Staff accounts: second factor, single-use links, sessions a person can see, absence and cover.

* ``staff``: ``last_login_at``; the TOTP secret (sealed by the vault), when it was confirmed, and the last
  time step used (a code is never accepted twice).
* ``staff_sessions``: ``second_factor_at`` (None while only the password was given), ``device`` and
  ``address`` for the person's list of sessions.
* ``recovery_codes``: ten single-use codes per person, argon2 hashes.
* ``account_links``: invitation and password-reset links, SHA-256 of the token, expiry, use.
* ``absences``: a person's absence (first and last day) and the colleague who covers.

Revision ID: 0016
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_login_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_enrolled_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_factor_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("device", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(64), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_recovery_codes_staff_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
    )
    op.create_index("ix_recovery_codes_staff_id", "recovery_codes", ["staff_id"])
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_account_links_staff_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_links"),
        sa.UniqueConstraint("token_hash", name="uq_account_links_token_hash"),
    )
    op.create_index("ix_account_links_staff_id", "account_links", ["staff_id"])
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_absences_staff_id_staff", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cover_id"], ["staff.id"], name="fk_absences_cover_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_absences"),
    )
    op.create_index("ix_absences_staff_id", "absences", ["staff_id"])
    op.create_index("ix_absences_cover_id", "absences", ["cover_id"])


def downgrade() -> None:
    op.drop_index("ix_absences_cover_id", table_name="absences")
    op.drop_index("ix_absences_staff_id", table_name="absences")
    op.drop_table("absences")
    op.drop_index("ix_account_links_staff_id", table_name="account_links")
    op.drop_table("account_links")
    op.drop_index("ix_recovery_codes_staff_id", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_column("address")
        batch_op.drop_column("device")
        batch_op.drop_column("second_factor_at")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enrolled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("last_login_at")
