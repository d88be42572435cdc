"""Re-sealing every stored ciphertext under the vault's active key, while Lotse runs.

Rows are read in batches by primary key and written back one by one in a short transaction, each only if
nobody changed it meanwhile: a case only at the lock version it was read with (the state is re-sealed
without a new lock version, so nobody's next save conflicts with the rotation), any other row only while
it still holds the very ciphertext that was read. A row changed meanwhile was sealed again by its writer
(with the active key) and is left alone, so no update is ever lost. Rows already under the active key are
not read again, so a run that stops can simply be started again: it goes on where it stopped.

A row that cannot be opened (its key is not in the keyring, or the ciphertext was altered) is reported
with its table, row and case and skipped; the others are rotated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, bindparam, func, literal, select, update

from engine.kernel.context import EngineContext
from engine.keys.sealed_columns import SEALED_COLUMNS, SealedColumn
from engine.store.vault import FORMAT, Vault, VaultError

DEFAULT_BATCH = 500
Progress = Callable[[str, int, int], None]  # column, rows done, rows to do


def key_prefix(key_id: str) -> bytes:
    """How every ciphertext sealed with ``key_id`` begins (``engine.store.vault``'s format)."""
    encoded = key_id.encode()
    return FORMAT + bytes([len(encoded)]) + encoded


def _head(column: Any, prefix: bytes) -> ColumnElement[Any]:
    return func.substr(column, 1, len(prefix))


def under_key(column: Any, key_id: str) -> ColumnElement[bool]:
    """The stored values of ``column`` sealed with ``key_id``."""
    prefix = key_prefix(key_id)
    return _head(column, prefix) == literal(prefix, LargeBinary)


def not_under_key(column: Any, key_id: str) -> ColumnElement[bool]:
    """The stored, non-empty values of ``column`` sealed with another key (or not readable at all)."""
    prefix = key_prefix(key_id)
    return (
        column.is_not(None)
        & (func.length(column) > 0)
        & (_head(column, prefix) != literal(prefix, LargeBinary))
    )


@dataclass(frozen=True)
class RotationFailure:
    column: str
    row: Any
    case_id: int | None
    message: str

    def __str__(self) -> str:
        case = f", case {self.case_id}" if self.case_id is not None else ""
        return f"{self.column} row {self.row}{case}: {self.message}"


@dataclass
class RotationReport:
    active: str
    resealed: dict[str, int] = field(default_factory=dict)
    changed_meanwhile: int = 0
    failures: list[RotationFailure] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


def remaining(ctx: EngineContext, key_id: str | None = None) -> dict[str, int]:
    """Per sealed column, how many values are not under the active key (``key_id``: under that key)."""
    counts = {}
    with ctx.unit_of_work(writes=False) as session:
        for sealed in SEALED_COLUMNS:
            column = sealed.table.c[sealed.column]
            condition = under_key(column, key_id) if key_id else not_under_key(column, ctx.vault.active)
            counts[sealed.name] = int(
                session.scalar(select(func.count()).select_from(sealed.table).where(condition)) or 0
            )
    return counts


def rotate(
    ctx: EngineContext,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    columns: tuple[SealedColumn, ...] = SEALED_COLUMNS,
) -> RotationReport:
    """Re-seal every value not under ``ctx.vault.active``; see the module's description."""
    report = RotationReport(ctx.vault.active)
    for sealed in columns:
        _rotate_column(ctx, sealed, batch_size, report, progress)
    return report


def _rotate_column(
    ctx: EngineContext,
    sealed: SealedColumn,
    batch_size: int,
    report: RotationReport,
    progress: Progress | None,
) -> None:
    table, column, key = sealed.table, sealed.table.c[sealed.column], sealed.key
    todo = not_under_key(column, ctx.vault.active)
    with ctx.unit_of_work(writes=False) as session:
        total = int(session.scalar(select(func.count()).select_from(table).where(todo)) or 0)
    report.resealed[sealed.name] = 0
    if total == 0:
        return
    extra = [table.c[sealed.lock]] if sealed.lock else []
    wanted = select(
        key.label("row_key"), *(table.c[name] for name in sealed.needs), column.label("old"), *extra
    )
    write = update(table).where(key == bindparam("row_key"))
    if sealed.lock:
        write = write.where(table.c[sealed.lock] == bindparam("seen"))
    else:
        write = write.where(column == bindparam("old"))
    write = write.values({sealed.column: bindparam("new")})
    done, last = 0, None
    while True:
        batch = wanted.where(todo).order_by(key).limit(batch_size)
        if last is not None:
            batch = batch.where(key > last)
        with ctx.unit_of_work(writes=False) as session:
            rows = session.execute(batch).all()
        if not rows:
            break
        last = rows[-1].row_key
        changes = [
            change for row in rows if (change := _resealed(ctx.vault, sealed, row, report)) is not None
        ]
        with ctx.unit_of_work() as session:
            connection = session.connection()
            for change in changes:
                if connection.execute(write, change).rowcount == 1:
                    report.resealed[sealed.name] += 1
                else:
                    report.changed_meanwhile += 1
            session.commit()
        done += len(rows)
        if progress is not None:
            progress(sealed.name, min(done, total), total)


def _resealed(vault: Vault, sealed: SealedColumn, row: Any, report: RotationReport) -> dict[str, Any] | None:
    old = bytes(row.old)
    binding = sealed.binding(row)
    try:
        new = vault.seal(vault.open(old, binding), binding)
    except VaultError as error:
        report.failures.append(RotationFailure(sealed.name, row.row_key, sealed.case_of(row), str(error)))
        return None
    change = {"row_key": row.row_key, "old": old, "new": new}
    if sealed.lock:
        change["seen"] = getattr(row, sealed.lock)
    return change
