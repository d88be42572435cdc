"""Recomputing the blind index under a new index key, while Lotse runs.

The index key's fingerprint is stored beside each digest (``contact_routes.digest_key``; NULL for digests
from before it was recorded). Every route whose digest is not under the active index key is opened, and
its digest recomputed, written only if the digest is still the one read. Meanwhile searches look for the
digests under every configured index key (``EngineContext.index_keys``), so nothing goes missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update

from engine.kernel.context import EngineContext
from engine.keys.rotation import RotationFailure
from engine.person import blind_index
from engine.person.contact_routes import route_binding
from engine.store.person_tables import ContactRoute
from engine.store.vault import VaultError

COLUMN = "contact_routes.digest"


def not_under_index_key(fingerprint: str) -> ColumnElement[bool]:
    return or_(ContactRoute.digest_key.is_(None), ContactRoute.digest_key != fingerprint)


def index_remaining(ctx: EngineContext, key: bytes | None = None) -> int:
    """Digests not under the active index key (``key``: under that key, or of unknown key)."""
    if key is None:
        condition = not_under_index_key(blind_index.fingerprint(ctx.index_key))
    else:
        condition = or_(
            ContactRoute.digest_key.is_(None), ContactRoute.digest_key == blind_index.fingerprint(key)
        )
    with ctx.unit_of_work(writes=False) as session:
        return int(session.scalar(select(func.count()).select_from(ContactRoute).where(condition)) or 0)


def rotate_index(
    ctx: EngineContext,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[int, list[RotationFailure]]:
    """Recompute every digest not under the active index key; returns how many, and the failures."""
    active = blind_index.fingerprint(ctx.index_key)
    todo = not_under_index_key(active)
    total = index_remaining(ctx)
    write = (
        update(ContactRoute)
        .where(ContactRoute.id == bindparam("row_id"), ContactRoute.digest == bindparam("old"))
        .values(digest=bindparam("new"), digest_key=active)
    )
    done = recomputed = 0
    failures: list[RotationFailure] = []
    last = 0
    while True:
        with ctx.unit_of_work(writes=False) as session:
            rows = session.execute(
                select(
                    ContactRoute.id,
                    ContactRoute.case_id,
                    ContactRoute.kind,
                    ContactRoute.digest,
                    ContactRoute.sealed,
                )
                .where(todo, ContactRoute.id > last)
                .order_by(ContactRoute.id)
                .limit(batch_size)
            ).all()
        if not rows:
            break
        last = rows[-1].id
        changes = []
        for row in rows:
            try:
                value = json.loads(ctx.vault.open(bytes(row.sealed), route_binding(row.case_id)))["value"]
            except VaultError as error:
                failures.append(RotationFailure(COLUMN, row.id, row.case_id, str(error)))
                continue
            new = blind_index.digest(ctx.index_key, row.kind, value)
            changes.append({"row_id": row.id, "old": row.digest, "new": new})
        with ctx.unit_of_work() as session:
            connection = session.connection()
            recomputed += sum(connection.execute(write, change).rowcount for change in changes)
            session.commit()
        done += len(rows)
        if progress is not None:
            progress(COLUMN, min(done, total), total)
    return recomputed, failures
