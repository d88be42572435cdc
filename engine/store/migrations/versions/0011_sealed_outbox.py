"""Outbox messages keep their subject and body sealed, and only until they are delivered.

* ``outbox.sealed``: subject and body as one AES-GCM ciphertext (JSON) bound to the row id and the
  recipient (``engine.kernel.message_content``), instead of ``subject`` and ``body`` in clear, which
  held case content (a warm handover names the person's description and how to reach them).
* Upgrade seals the content of every message not yet delivered (pending or dead) with the active key;
  a sent message's content is dropped, as the deliverer now drops it on sending; a message emptied by
  the retention purge stays empty. On SQLite freed pages are zeroed (``secure_delete``) so the clear
  text does not linger in the file; on PostgreSQL the old row versions go with the next (auto)vacuum.
* Downgrade opens the sealed contents back into ``subject`` and ``body``; delivered messages get empty
  ones (their content is gone for good).
* The keys: ``lotse db upgrade``/``downgrade`` hand the application's vault to the migration
  (``engine.store.schema``); Alembic run on its own reads them as a scheduled job does (``LOTSE_KEYS``
  or the instance folder). Only a database with contents to seal or open needs them.

Revision ID: 0011
Revises: 0010
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Row

from engine.kernel.settings import migration_keyring
from engine.store.vault import Vault, parse_keyring

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OUTBOX = sa.table(
    "outbox",
    sa.column("id", sa.Integer()),
    sa.column("recipient", sa.String()),
    sa.column("status", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("body", sa.Text()),
    sa.column("sealed", sa.LargeBinary()),
)


def upgrade() -> None:
    waiting = sa.select(OUTBOX.c.id, OUTBOX.c.recipient, OUTBOX.c.subject, OUTBOX.c.body).where(
        OUTBOX.c.status != "sent", OUTBOX.c.body != ""
    )
    rows = op.get_bind().execute(waiting).all()
    sealed = _sealed(rows) if rows else []  # before any change: without keys, nothing is changed
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")  # the clear text's pages are zeroed when freed
    op.add_column("outbox", sa.Column("sealed", sa.LargeBinary(), nullable=True))
    if sealed:
        op.get_bind().execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == sa.bindparam("row_id"))
            .values(sealed=sa.bindparam("content")),
            sealed,
        )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("body")
        batch.drop_column("subject")


def downgrade() -> None:
    kept = sa.select(OUTBOX.c.id, OUTBOX.c.recipient, OUTBOX.c.sealed).where(OUTBOX.c.sealed.is_not(None))
    rows = op.get_bind().execute(kept).all()
    opened = _opened(rows) if rows else []  # before any change: without keys, nothing is changed
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("subject", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
    if opened:
        op.get_bind().execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == sa.bindparam("row_id"))
            .values(subject=sa.bindparam("clear_subject"), body=sa.bindparam("clear_body")),
            opened,
        )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("subject", server_default=None)
        batch.alter_column("body", server_default=None)
        batch.drop_column("sealed")


def _vault() -> Vault:
    """The application's vault when ``lotse db`` runs the migration, else the keys from the environment."""
    given = context.config.attributes.get("vault")
    if isinstance(given, Vault):
        return given
    return Vault(*parse_keyring(migration_keyring()))


# the format of engine.kernel.message_content as of this revision
def _binding(message_id: int, recipient: str) -> bytes:
    return f"outbox:{message_id}:{recipient}".encode()


def _sealed(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    vault = _vault()
    return [
        {
            "row_id": row.id,
            "content": vault.seal(
                json.dumps({"subject": row.subject, "body": row.body}, ensure_ascii=False).encode(),
                _binding(row.id, row.recipient),
            ),
        }
        for row in rows
    ]


def _opened(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    vault = _vault()
    contents = [
        (row.id, json.loads(vault.open(bytes(row.sealed), _binding(row.id, row.recipient)))) for row in rows
    ]
    return [
        {"row_id": row_id, "clear_subject": content["subject"], "clear_body": content["body"]}
        for row_id, content in contents
    ]
