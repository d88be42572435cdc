"""No case content in clear in Strafantrag and referral rows; the blind index records its key.

* ``strafantraege.sealed``: the offence and the dates the person learned of the offence and of the
  offender (and the calendar end a holiday moved) as one AES-GCM ciphertext (JSON) bound to the case
  (``engine.strafantrag.offence_content``), instead of ``offence``, ``learned_of_offence``,
  ``learned_of_offender`` and ``moved_from`` in clear. The deadline stays readable: the board and the
  reminders sort and filter by it (README, "Columns in clear").
* ``referrals.sealed``: the reason a referral was proposed and the handover recipient, bound to the case
  (``engine.referrals.referral_content``), instead of ``reason`` and ``handover_recipient`` in clear.
* ``contact_routes.digest_key``: the fingerprint of the blind-index key a digest was computed with, so
  ``lotse keys rotate`` can recompute the digests under a new index key (NULL: computed before this
  revision, with whichever key was configured then).
* Upgrade seals the existing rows with the active key (on SQLite freed pages are zeroed, as in 0011);
  downgrade opens them back. The keys come as in 0011 (``lotse db`` hands over the application's vault).

Revision ID: 0023
Revises: 0021
"""

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from engine.kernel.settings import migration_keyring
from engine.store.vault import Vault, parse_keyring

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None

OFFENCES = sa.table(
    "strafantraege",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("offence", sa.String()),
    sa.column("learned_of_offence", sa.Date()),
    sa.column("learned_of_offender", sa.Date()),
    sa.column("moved_from", sa.Date()),
    sa.column("sealed", sa.LargeBinary()),
)
REFERRALS = sa.table(
    "referrals",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("reason", sa.String()),
    sa.column("handover_recipient", sa.String()),
    sa.column("sealed", sa.LargeBinary()),
)
OFFENCE_FIELDS = ("offence", "learned_of_offence", "learned_of_offender", "moved_from")
REFERRAL_FIELDS = ("reason", "handover_recipient")
DATES = ("learned_of_offence", "learned_of_offender", "moved_from")


def upgrade() -> None:
    bind = op.get_bind()
    offences = bind.execute(
        sa.select(OFFENCES.c.id, OFFENCES.c.case_id, *_columns(OFFENCES, OFFENCE_FIELDS))
    ).all()
    referrals = bind.execute(
        sa.select(REFERRALS.c.id, REFERRALS.c.case_id, *_columns(REFERRALS, REFERRAL_FIELDS))
    ).all()
    vault = _vault() if offences or referrals else None  # without content, no keys are needed
    sealed_offences = [_seal(vault, "strafantrag", row, OFFENCE_FIELDS) for row in offences]
    sealed_referrals = [_seal(vault, "referral", row, REFERRAL_FIELDS) for row in referrals]
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")
    op.add_column("strafantraege", sa.Column("sealed", sa.LargeBinary(), nullable=True))
    op.add_column("referrals", sa.Column("sealed", sa.LargeBinary(), nullable=True))
    op.add_column("contact_routes", sa.Column("digest_key", sa.String(16), nullable=True))
    _write(OFFENCES, sealed_offences)
    _write(REFERRALS, sealed_referrals)
    with op.batch_alter_table("strafantraege") as batch:
        for name in OFFENCE_FIELDS:
            batch.drop_column(name)
    with op.batch_alter_table("referrals") as batch:
        for name in REFERRAL_FIELDS:
            batch.drop_column(name)


def downgrade() -> None:
    bind = op.get_bind()
    offences = bind.execute(sa.select(OFFENCES.c.id, OFFENCES.c.case_id, OFFENCES.c.sealed)).all()
    referrals = bind.execute(sa.select(REFERRALS.c.id, REFERRALS.c.case_id, REFERRALS.c.sealed)).all()
    vault = _vault() if offences or referrals else None
    with op.batch_alter_table("strafantraege") as batch:
        batch.add_column(sa.Column("offence", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("learned_of_offence", sa.Date(), nullable=True))
        batch.add_column(sa.Column("learned_of_offender", sa.Date(), nullable=True))
        batch.add_column(sa.Column("moved_from", sa.Date(), nullable=True))
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("reason", sa.String(500), nullable=False, server_default=""))
        batch.add_column(sa.Column("handover_recipient", sa.String(200), nullable=True))
    for table, kind, rows in ((OFFENCES, "strafantrag", offences), (REFERRALS, "referral", referrals)):
        for row in rows:
            content = _open(vault, kind, row)
            for name in DATES:
                if content.get(name):
                    content[name] = date.fromisoformat(content[name])
            if content:
                bind.execute(table.update().where(table.c.id == row.id).values(**content))
    with op.batch_alter_table("strafantraege") as batch:
        batch.alter_column("offence", server_default=None)
        batch.alter_column("learned_of_offence", nullable=False, existing_type=sa.Date())
        batch.drop_column("sealed")
    with op.batch_alter_table("referrals") as batch:
        batch.alter_column("reason", server_default=None)
        batch.drop_column("sealed")
    with op.batch_alter_table("contact_routes") as batch:
        batch.drop_column("digest_key")


def _columns(table: sa.TableClause, names: tuple[str, ...]) -> list[Any]:
    return [table.c[name] for name in names]


def _vault() -> Vault:
    given = context.config.attributes.get("vault")
    if isinstance(given, Vault):
        return given
    return Vault(*parse_keyring(migration_keyring()))


def _seal(vault: Vault | None, kind: str, row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    assert vault is not None
    content = {name: getattr(row, name) for name in names}
    for name in DATES:
        if content.get(name) is not None:
            content[name] = content[name].isoformat()
    plain = json.dumps(content, ensure_ascii=False).encode()
    return {"row_id": row.id, "content": vault.seal(plain, f"{kind}:{row.case_id}".encode())}


def _open(vault: Vault | None, kind: str, row: Any) -> dict[str, Any]:
    if row.sealed is None or vault is None:
        return {}
    return json.loads(vault.open(bytes(row.sealed), f"{kind}:{row.case_id}".encode()))


def _write(table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    if rows:
        op.get_bind().execute(
            table.update().where(table.c.id == sa.bindparam("row_id")).values(sealed=sa.bindparam("content")),
            rows,
        )
