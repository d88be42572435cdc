"""``lotse bench search``: finding a case again over many cases on PostgreSQL.

The cases are generated directly with bulk inserts (projected columns, a sealed placeholder state, an open
task for the open ones, a phone number behind the blind index for every third case). Measured one query at a
time, through the real use case (``engine.person.case_search.search_cases``, which also writes its audit
row): by reference, by phone number written another way (blind index), and by filters; the baseline in
the same run is the plain primary-key lookup of one case.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from benchmarks.migrate import throwaway_postgres
from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.laender import GERMAN_LANDS
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.person import blind_index
from engine.person.case_search import CaseQuery, search_cases
from engine.processes.deployment import deploy_process
from engine.store import schema
from engine.store.person_tables import ContactRoute
from engine.store.projection import RISK_LEVELS
from engine.store.tables import Case, ProcessVersion, Task
from engine.store.vault import Vault

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows" / "bpmn"
P95_LIMIT_MS = 20.0
COUNSELLOR = Actor("anna", frozenset({"beratung"}))
OFFICES = (
    "hauptamt_bm",
    "ehrenamt_bm",
    "landraetin",
    "beigeordnete",
    "ratsmitglied",
    "kandidatin",
    "verwaltung",
)
LANDS = sorted(GERMAN_LANDS)
START = datetime.fromisoformat("2026-06-01T08:00:00+00:00")
CHUNK = 5000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def phone_of(case_id: int) -> str:
    """The generated number of a case, written the way a caller would say it."""
    return f"0171 {1_000_000 + case_id:07d}"


def run(cases: int = 100_000, queries: int = 200, database_url: str | None = None) -> dict[str, Any]:
    """The report; on a temporary PostgreSQL database unless ``database_url`` names an empty one."""
    if database_url is not None:
        return _run(database_url, cases, queries)
    with throwaway_postgres("lotse_bench_search") as url:
        return _run(url, cases, queries)


def _run(url: str, cases: int, queries: int) -> dict[str, Any]:
    clock = ManualClock(START + timedelta(days=800))
    ctx = build_context(url, Vault({"bench": b"s" * 32}, "bench"), BusinessCalendar(), clock)
    schema.upgrade(ctx.db)
    began = time.perf_counter()
    generate(ctx, cases)
    generated = time.perf_counter() - began
    log(f"{cases} cases generated in {generated:.1f} s")
    rng = random.Random(2026)
    ids = [rng.randint(1, cases) for _ in range(queries)]
    phoned = [case_id - case_id % 3 or 3 for case_id in ids]
    variants: dict[str, Callable[[int], Any]] = {
        "baseline_primary_key": lambda case_id: _by_primary_key(ctx, case_id),
        "by_reference": lambda case_id: search_cases(ctx, COUNSELLOR, CaseQuery(text=_reference(case_id))),
        "by_phone": lambda case_id: search_cases(
            ctx, COUNSELLOR, CaseQuery(text=_written_otherwise(case_id))
        ),
        "by_filters": lambda case_id: search_cases(ctx, COUNSELLOR, _filters(rng)),
    }
    warmup = min(20, queries // 5)
    report: dict[str, Any] = {
        "database": ctx.db.dialect.name,
        "cases": cases,
        "generated_seconds": round(generated, 1),
        "queries_timed": queries - warmup,
        "variants": {},
    }
    for name, action in variants.items():
        sample = phoned if name == "by_phone" else ids
        report["variants"][name] = _summary(_timed(action, sample, warmup))
    _check_found(ctx, ids[0], phoned[0])
    report["bars"] = {
        f"{name}_p95_ms": {
            "value": report["variants"][name]["p95_ms"],
            "limit": P95_LIMIT_MS,
            "ok": report["variants"][name]["p95_ms"] <= P95_LIMIT_MS,
        }
        for name in ("by_reference", "by_phone", "by_filters")
    }
    ctx.db.dispose()
    return report


def _reference(case_id: int) -> str:
    return f"{_opened(case_id).year}-{case_id:05d}"


def _written_otherwise(case_id: int) -> str:
    return "+49 171 " + phone_of(case_id)[5:]


def _opened(case_id: int) -> datetime:
    return START + timedelta(minutes=case_id * 7)  # 100,000 cases over about 16 months


def _filters(rng: random.Random) -> CaseQuery:
    first = (START + timedelta(days=rng.randint(0, 400))).date()
    return CaseQuery(
        land=rng.choice(LANDS),
        risk_level=rng.choice((None, *RISK_LEVELS)),
        status=rng.choice((None, "open", "closed")),
        opened_from=first,
        opened_to=first + timedelta(days=90),
    )


def _by_primary_key(ctx: EngineContext, case_id: int) -> Any:
    with ctx.unit_of_work(writes=False) as session:
        return session.execute(
            select(Case.id, Case.reference, Case.status, Case.risk_level, Case.land).where(Case.id == case_id)
        ).one()


def _check_found(ctx: EngineContext, case_id: int, phoned: int) -> None:
    """The measured searches find what they look for (a benchmark of empty answers would prove nothing)."""
    assert [hit.id for hit in search_cases(ctx, COUNSELLOR, CaseQuery(text=_reference(case_id))).hits] == [
        case_id
    ]
    found = search_cases(ctx, COUNSELLOR, CaseQuery(text=_written_otherwise(phoned))).hits
    assert [hit.id for hit in found] == [phoned]


def generate(ctx: EngineContext, cases: int) -> None:
    bpmn = (WORKFLOWS / "fallbearbeitung.bpmn").read_bytes()
    dmn = {path.name: path.read_bytes() for path in WORKFLOWS.glob("*.dmn")}
    deploy_process(ctx, "bench", bpmn, dmn)
    rng = random.Random(17)
    with ctx.unit_of_work() as session:
        version_id = session.scalar(select(ProcessVersion.id))
        placeholder = ctx.vault.seal(b"{}", b"bench")
        for first in range(1, cases + 1, CHUNK):
            batch = range(first, min(first + CHUNK, cases + 1))
            rows = [_case_row(case_id, version_id, placeholder, rng) for case_id in batch]
            session.execute(insert(Case), rows)
            open_ids = [row["id"] for row in rows if row["status"] == "open"]
            session.execute(insert(Task), [_task_row(case_id) for case_id in open_ids])
            routes = [_route_row(ctx, case_id) for case_id in batch if case_id % 3 == 0]
            if routes:
                session.execute(insert(ContactRoute), routes)
        session.commit()
    if ctx.is_postgres:
        with ctx.db.connect() as connection:
            connection.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
            connection.commit()
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def _case_row(case_id: int, version_id: int, state: bytes, rng: random.Random) -> dict[str, Any]:
    opened = _opened(case_id)
    closed = rng.random() < 0.7
    return {
        "id": case_id,
        "reference": f"{opened.year}-{case_id:05d}",
        "process_version_id": version_id,
        "state": state,
        "serializer_version": "bench",
        "lock_version": 1,
        "status": "closed" if closed else "open",
        "escalated": False,
        "legal_hold": False,
        "risk_level": rng.choice(RISK_LEVELS),
        "land": rng.choice(LANDS),
        "office_type": rng.choice(OFFICES),
        "contact_channel": "telefon",
        "opened_at": opened,
        "closed_at": opened + timedelta(days=30) if closed else None,
        "updated_at": opened,
        "opened_by": "tara",
    }


def _task_row(case_id: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=case_id)),
        "case_id": case_id,
        "element_id": "nachfassen",
        "title": "Nachfassen",
        "candidate_group": "beratung",
        "assignee": "ben" if case_id % 2 else None,
        "priority": 50,
        "escalation": False,
        "status": "open",
        "created_at": _opened(case_id),
        "case_reference": None,
        "case_escalated": False,
    }


def _route_row(ctx: EngineContext, case_id: int) -> dict[str, Any]:
    value = blind_index.normalised_phone(phone_of(case_id))
    return {
        "case_id": case_id,
        "kind": blind_index.PHONE,
        "digest": blind_index.digest(ctx.index_key, blind_index.PHONE, value),
        "sealed": ctx.vault.seal(value.encode(), f"route:{case_id}".encode()),
        "created_at": _opened(case_id),
        "created_by": "tara",
    }


def _timed(action: Callable[[int], Any], sample: list[int], warmup: int) -> list[float]:
    for item in sample[:warmup]:
        action(item)
    timings = []
    for item in sample[warmup:]:
        started = time.perf_counter()
        action(item)
        timings.append(time.perf_counter() - started)
    return timings


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }
