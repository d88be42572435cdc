"""``lotse bench keys``: `lotse keys rotate` over many cases on PostgreSQL.

The cases are clones of one real case of the shipped process, each with its own state sealed under the old
key ``alt`` (``benchmarks.migrate.clone_cases``). The baseline in the same run reads the same rows in the
same batches and writes each back with the same conditional update, without opening or sealing anything;
then the real rotation (``engine.keys.rotation.rotate``, every sealed column) re-seals them under ``neu``.
Bar: the rotation moves at least ``RATIO_BAR`` of the baseline's rows per second — the crypto (AES-GCM
open and seal of each state) may cost at most about twice the plain database work.
"""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from benchmarks.migrate import clone_cases, shipped_models, throwaway_postgres
from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import open_case
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.keys.rotation import DEFAULT_BATCH, remaining, rotate
from engine.processes.deployment import deploy_process
from engine.store import schema
from engine.store.tables import Case
from engine.store.vault import Vault

RATIO_BAR = 0.3
OLD, NEW = ("alt", b"a" * 32), ("neu", b"n" * 32)
START = datetime.fromisoformat("2026-06-01T08:00:00+00:00")
COUNSELLOR = Actor("anna", frozenset({"beratung"}))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cases: int = 100_000, batch: int = DEFAULT_BATCH, database_url: str | None = None) -> dict[str, Any]:
    place = nullcontext(database_url) if database_url else throwaway_postgres("lotse_bench_keys")
    with place as url:
        return _run(url, cases, batch)


def _context(url: str, vault: Vault) -> EngineContext:
    return build_context(url, vault, BusinessCalendar(land="NW"), ManualClock(START))


def _run(url: str, cases: int, batch: int) -> dict[str, Any]:
    old = _context(url, Vault(dict([OLD]), OLD[0]))
    schema.upgrade(old.db)
    bpmn, dmn = shipped_models()
    deploy_process(old, "bench", bpmn, dmn, now=START)
    template = open_case(old, COUNSELLOR, {"kontaktkanal": "telefon"}, now=START).case_id
    log(f"cloning {cases - 1} cases under the old key ...")
    clone_cases(old, [template], cases - 1)
    with old.unit_of_work(writes=False) as session:
        state_bytes = int(session.scalar(select(func.avg(func.length(Case.state)))) or 0)
    old.db.dispose()

    new = _context(url, Vault(dict([NEW, OLD]), NEW[0]))
    log("baseline: read and write every state back without crypto ...")
    baseline_rows, baseline_seconds = _plain_pass(new, batch)
    log("rotation ...")
    began = time.perf_counter()
    report = rotate(new, batch)
    rotate_seconds = time.perf_counter() - began
    left = sum(remaining(new, OLD[0]).values())
    new.db.dispose()
    baseline_rate = baseline_rows / baseline_seconds
    rotate_rate = report.total / rotate_seconds
    ratio = rotate_rate / baseline_rate
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "cases": cases,
        "batch": batch,
        "average_state_bytes": state_bytes,
        "baseline_plain_read_write": {
            "rows": baseline_rows,
            "seconds": round(baseline_seconds, 2),
            "rows_per_second": round(baseline_rate),
        },
        "rotate": {
            "rows": report.total,
            "seconds": round(rotate_seconds, 2),
            "rows_per_second": round(rotate_rate),
            "failures": len(report.failures),
            "left_on_old_key": left,
        },
        "bars": {
            "rotate_vs_plain_read_write": {
                "value": round(ratio, 3),
                "limit": RATIO_BAR,
                "ok": ratio >= RATIO_BAR,
            },
            "left_on_old_key": {"value": left, "limit": 0, "ok": left == 0},
        },
    }


def _plain_pass(ctx: EngineContext, batch: int) -> tuple[int, float]:
    """The rotation's database work alone: the same batches, the same conditional update, the same bytes."""
    table = Case.__table__
    write = (
        update(table)
        .where(table.c.id == bindparam("row_key"), table.c.lock_version == bindparam("seen"))
        .values(state=bindparam("new"))
    )
    rows_done, last = 0, 0
    began = time.perf_counter()
    while True:
        with ctx.unit_of_work(writes=False) as session:
            rows = session.execute(
                select(table.c.id, table.c.lock_version, table.c.state)
                .where(table.c.id > last, table.c.state.is_not(None), func.length(table.c.state) > 0)
                .order_by(table.c.id)
                .limit(batch)
            ).all()
        if not rows:
            break
        last = rows[-1].id
        with ctx.unit_of_work() as session:
            connection = session.connection()
            for row in rows:
                connection.execute(
                    write, {"row_key": row.id, "seen": row.lock_version, "new": bytes(row.state)}
                )
            session.commit()
        rows_done += len(rows)
    return rows_done, time.perf_counter() - began
