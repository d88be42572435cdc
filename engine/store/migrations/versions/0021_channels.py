"""Inbound messages and the IMAP mailboxes' high-water marks (``engine.store.channel_tables``).

Revision ID: 0021
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_marks",
        sa.Column("mailbox", sa.String(300), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name="pk_mailbox_marks"),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("mailbox", sa.String(300), nullable=True),
        sa.Column("uid_validity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(16), nullable=True),
        sa.Column("refusal", sa.String(40), nullable=True),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_raw", sa.LargeBinary(), nullable=True),
        sa.Column("handled_at", UtcDateTime(), nullable=True),
        sa.Column("handled_by", sa.String(100), nullable=True),
        sa.Column("discard_reason", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_inbound_messages_case_id_cases", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_messages"),
        sa.UniqueConstraint("idempotency_key", name="uq_inbound_messages_idempotency_key"),
        sa.UniqueConstraint("mailbox", "uid_validity", "uid", name="uq_inbound_messages_place"),
    )
    op.create_index("ix_inbound_messages_case_id", "inbound_messages", ["case_id"])
    op.create_index("ix_inbound_messages_status", "inbound_messages", ["status", "received_at"])
    op.create_table(
        "sent_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("written_at", UtcDateTime(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_sent_replies_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name="fk_sent_replies_outbox_id_outbox", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sent_replies"),
    )
    op.create_index("ix_sent_replies_case_id", "sent_replies", ["case_id"])
    op.create_table(
        "portal_mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lookup", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("passphrase_hash", sa.String(200), nullable=False),
        sa.Column("first_message_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_message_id"],
            ["inbound_messages.id"],
            name="fk_portal_mailboxes_first_message_id_inbound_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_portal_mailboxes"),
        sa.UniqueConstraint("lookup", name="uq_portal_mailboxes_lookup"),
    )
    op.create_table(
        "api_intake_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal", sa.String(50), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("signature_digest", sa.String(64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["inbound_messages.id"],
            name="fk_api_intake_requests_message_id_inbound_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_intake_requests"),
        sa.UniqueConstraint("signature_digest", name="uq_api_intake_requests_signature_digest"),
        sa.UniqueConstraint("portal", "request_id", name="uq_api_intake_requests_request"),
    )


def downgrade() -> None:
    op.drop_table("api_intake_requests")
    op.drop_table("portal_mailboxes")
    op.drop_index("ix_sent_replies_case_id", table_name="sent_replies")
    op.drop_table("sent_replies")
    op.drop_index("ix_inbound_messages_status", table_name="inbound_messages")
    op.drop_index("ix_inbound_messages_case_id", table_name="inbound_messages")
    op.drop_table("inbound_messages")
    op.drop_table("mailbox_marks")
