"""``lotse bench referrals``: how long the Vermittlung step waits for its ranked proposals.

A directory of generated offers (default 5,000, a tenth of them nationwide, the rest in one or two
Länder) plus the shipped seed is written to a fresh database. Then, for the same sequence of case
facts, three variants are timed in the same run:

* ``baseline_land_scan``: the trivial filter — read the offers valid in the case's Land, no ranking;
* ``rank_only``: ranking with explanations over candidates already in memory;
* ``propose``: what the task page does — a read-only unit of work, the directory's stamp (one
  aggregate query), the candidates of the Land (cached per process until the directory changes) and
  the ranking;
* ``propose_after_directory_change``: the same with the candidate cache emptied before every query.

The bar: ``propose`` p95 ≤ 20 ms.
"""

from __future__ import annotations

import os
import platform
import random
import sqlite3
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import insert

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.laender import GERMAN_LANDS
from engine.directory.csv_exchange import load_seed
from engine.directory.vocabulary import CATEGORIES, INCIDENT_TYPES, NEEDS
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.referrals.proposals import CANDIDATES, CaseFacts, candidates, propose, rank
from engine.store import schema
from engine.store.referral_tables import SupportOffer
from engine.store.vault import Vault

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
P95_LIMIT_MS = 20.0
LANDS = sorted(GERMAN_LANDS)
LEVELS = ("AKUT", "HOCH", "MITTEL", "NIEDRIG", "INFO")
CHANNELS = ("social_media", "email", "brief", "telefon", "messenger", "persoenlich_amt", "sitzung", "wohnort")


def generated_offers(count: int, rng: random.Random) -> list[dict[str, Any]]:
    types, needs, categories = sorted(INCIDENT_TYPES), sorted(NEEDS), sorted(CATEGORIES)
    rows = []
    for number in range(count):
        nationwide = rng.random() < 0.1
        rows.append(
            {
                "key": f"bench_{number:05d}",
                "name": f"Angebot {number:05d}",
                "organisation": f"Träger {number % 400}",
                "lands": "" if nationwide else " ".join(sorted(rng.sample(LANDS, rng.choice((1, 1, 2))))),
                "category": rng.choice(categories),
                "incident_types": " ".join(rng.sample(types, rng.randint(1, 5))),
                "needs": " ".join(rng.sample(needs, rng.randint(1, 4))),
                "phone": "",
                "email": f"kontakt{number}@example.org",
                "web": "",
                "form_url": "",
                "opening_hours": "",
                "languages": "",
                "warm_handover": rng.random() < 0.3,
                "internal_only": rng.random() < 0.05,
                "source_url": "https://example.org",
                "last_verified": None,
                "confidence": rng.choice("HML"),
                "verify": False,
                "notes": "",
                "retired_at": START if rng.random() < 0.05 else None,
                "version": 1,
                "updated_at": START,
                "updated_by": "bench",
            }
        )
    return rows


def case_facts(count: int, rng: random.Random) -> list[CaseFacts]:
    types = sorted(INCIDENT_TYPES)
    return [
        CaseFacts(
            land=rng.choice(LANDS),
            risk_level=rng.choice(LEVELS),
            incident_types=frozenset(rng.sample(types, rng.randint(1, 3))),
            channel=rng.choice(CHANNELS),
            woman=rng.choice((None, True, False)),
        )
        for _ in range(count)
    ]


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def _timed(action: Callable[[CaseFacts], Any], facts: list[CaseFacts], warmup: int) -> list[float]:
    for item in facts[:warmup]:
        action(item)
    samples = []
    for item in facts[warmup:]:
        started = perf_counter()
        action(item)
        samples.append(perf_counter() - started)
    return samples


def run(offers: int = 5000, queries: int = 300, database_url: str | None = None) -> dict[str, Any]:
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        ctx = build_context(url, Vault({"b": b"b" * 32}, "b"), BusinessCalendar(), ManualClock(START))
        try:
            return _measure(ctx, offers, queries, rng)
        finally:
            ctx.db.dispose()


def _measure(ctx: EngineContext, offers: int, queries: int, rng: random.Random) -> dict[str, Any]:
    schema.upgrade(ctx.db)
    seeded = load_seed(ctx)
    with ctx.unit_of_work() as session:
        session.execute(insert(SupportOffer), generated_offers(offers, rng))
        session.commit()
    facts = case_facts(queries, rng)
    warmup = min(20, queries // 5)

    def land_scan(item: CaseFacts) -> int:
        with ctx.unit_of_work(writes=False) as session:
            return len(candidates(session, item.land))

    def full(item: CaseFacts) -> int:
        with ctx.unit_of_work(writes=False) as session:
            return len(propose(session, item))

    def cold(item: CaseFacts) -> int:
        CANDIDATES.clear()
        return full(item)

    with ctx.unit_of_work(writes=False) as session:
        by_land = {land: candidates(session, land) for land in LANDS}
    sizes = [len(by_land[item.land]) for item in facts]
    results = {
        "baseline_land_scan": _summary(_timed(land_scan, facts, warmup)),
        "rank_only": _summary(_timed(lambda item: rank(by_land[item.land], item), facts, warmup)),
        "propose": _summary(_timed(full, facts, warmup)),
        "propose_after_directory_change": _summary(_timed(cold, facts, warmup)),
    }
    p95 = results["propose"]["p95_ms"]
    return {
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "database": ctx.db.dialect.name,
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "directory": {
            "generated_offers": offers,
            "seed_offers": seeded,
            "queries_timed": queries - warmup,
            "candidates_per_query_median": statistics.median(sizes),
        },
        "variants": results,
        "propose_over_baseline_median": round(
            results["propose"]["median_ms"] / max(results["baseline_land_scan"]["median_ms"], 1e-6), 2
        ),
        "bars": {"propose_p95_ms": {"value": p95, "limit": P95_LIMIT_MS, "ok": p95 <= P95_LIMIT_MS}},
    }
