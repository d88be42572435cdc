"""Sessions kept on the server and failed-login counters.

* ``staff_sessions``: one row per signed-in browser (the digest of the cookie's random token, the staff
  member, started, last seen, ended and why), so logout, deactivation and a password change end every
  session of a person, and idle and absolute limits are checked on every request.
* ``login_throttles``: failed logins per account and per client address (digests), for growing delays
  instead of locking an account.

Existing sessions (cookies that name a staff id) are not carried over: everyone signs in once more.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_staff_sessions_staff_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", UtcDateTime(), nullable=False),
        sa.Column("last_failed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttles"),
    )
    op.create_index("ix_login_throttles_last_failed_at", "login_throttles", ["last_failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttles_last_failed_at", table_name="login_throttles")
    op.drop_table("login_throttles")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
