"""``lotse bench statistics``: the year report over 100,000 cases on PostgreSQL, against one plain GROUP BY.

Cases of one year are generated with bulk inserts (projected columns, incident types, first contact; the
working time to the first reply and to the first referral stored as the application stores it when they
happen), with a
contact, a completed step with its due time, and for every second case a referral. Timed: every block of the
report with disclosure control, live from the tables (no snapshot), and the same report once the months have
snapshots; the baseline in the same run is ``SELECT land, count(*) FROM cases WHERE opened_at … GROUP BY land``.
Bars: the live report ≤ 1 s and ≤ 20 × the baseline (medians of several rounds).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from benchmarks.migrate import throwaway_postgres
from benchmarks.search import LANDS, OFFICES, log
from engine.calendar.business_calendar import BusinessCalendar
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.statistics.durations import working_tenths
from engine.statistics.period import year
from engine.statistics.report import build_report
from engine.statistics.snapshots import take_snapshots
from engine.store import schema
from engine.store.person_tables import CaseContact
from engine.store.projection import RISK_LEVELS
from engine.store.referral_tables import Referral, SupportOffer
from engine.store.tables import Case, ProcessVersion, Task
from engine.store.vault import Vault

YEAR = 2025
START = datetime(YEAR, 1, 1, 8, 0, tzinfo=UTC)
CHUNK = 5_000
ROUNDS = 3
TYPES = ("beleidigung", "bedrohung", "verleumdung", "nachstellung", "doxxing")


def run(cases: int = 100_000, database_url: str | None = None) -> dict[str, Any]:
    if database_url is not None:
        return _run(database_url, cases)
    with throwaway_postgres("lotse_bench_statistics") as url:
        return _run(url, cases)


def _run(url: str, cases: int) -> dict[str, Any]:
    ctx = build_context(
        url,
        Vault({"bench": b"s" * 32}, "bench"),
        BusinessCalendar(),
        ManualClock(datetime(YEAR + 1, 2, 1, tzinfo=UTC)),
    )
    schema.upgrade(ctx.db)
    began = time.perf_counter()
    _generate(ctx, cases)
    log(f"{cases} cases generated in {time.perf_counter() - began:.1f} s")
    period = year(YEAR)
    first, last = START, START + timedelta(days=365)
    baseline_query = (
        select(Case.land, func.count())
        .where(Case.opened_at >= first, Case.opened_at < last)
        .group_by(Case.land)
    )

    def baseline() -> None:
        with ctx.unit_of_work(writes=False) as session:
            session.execute(baseline_query).all()

    def report() -> None:
        with ctx.unit_of_work(writes=False) as session:
            build_report(session, ctx.calendar, period)

    timings = {"baseline_group_by": _median(baseline), "report_live": _median(report)}
    take_snapshots(ctx, ctx.clock.now())
    timings["report_from_snapshots"] = _median(report)
    ratio = timings["report_live"] / timings["baseline_group_by"]
    ctx.db.dispose()
    return {
        "database": "postgresql",
        "cases": cases,
        "seconds": {name: round(value, 4) for name, value in timings.items()},
        "live_vs_baseline": round(ratio, 1),
        "bars": {
            "report_live_seconds": {
                "value": round(timings["report_live"], 3),
                "limit": 1.0,
                "ok": timings["report_live"] <= 1.0,
            },
            "report_live_vs_baseline": {"value": round(ratio, 1), "limit": 20, "ok": ratio <= 20},
        },
    }


def _median(action: Any) -> float:
    action()  # warm up
    samples = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def _generate(ctx: EngineContext, cases: int) -> None:
    rng = random.Random(20)
    with ctx.unit_of_work() as session:
        version = ProcessVersion(
            key="bench", version=1, name="bench", sha256="0" * 64, bpmn_xml="", dmn_xml="{}", spec_json="{}",
            deployed_at=START, deployed_by="bench",
        )  # fmt: skip
        session.add(version)
        offer = SupportOffer(
            key="bench", name="b", organisation="b", lands="", category="polizei", incident_types="", needs="",
            phone="", email="", web="", form_url="", opening_hours="", languages="", source_url="", confidence="H",
            notes="", updated_at=START, updated_by="bench",
        )  # fmt: skip
        session.add(offer)
        session.flush()
        placeholder = ctx.vault.seal(b"{}", b"bench")
        for first in range(1, cases + 1, CHUNK):
            batch = range(first, min(first + CHUNK, cases + 1))
            rows = [_case(case_id, version.id, placeholder, rng, cases) for case_id in batch]
            for row in rows:  # stored when the first reply happens, as the application does
                row["first_contact_tenths"] = working_tenths(
                    ctx.calendar, row["opened_at"], row["first_contact_at"]
                )
            referrals = [_referral(row, offer.id, ctx.calendar) for row in rows if row["id"] % 2 == 0]
            first_referral = {referral["case_id"]: referral["opened_tenths"] for referral in referrals}
            for row in rows:  # stored on the case with its first referral, as the application does
                row["first_referral_tenths"] = first_referral.get(row["id"])
            session.execute(insert(Case), rows)
            session.execute(insert(CaseContact), [_contact(row) for row in rows])
            session.execute(insert(Task), [_task(row) for row in rows])
            session.execute(insert(Referral), referrals)
        session.commit()
    with ctx.db.connect() as connection:  # what autovacuum does within a minute of a bulk load in production
        connection.execute(text("ANALYZE"))
        connection.commit()


def _case(case_id: int, version_id: int, state: bytes, rng: random.Random, cases: int) -> dict[str, Any]:
    opened = START + timedelta(minutes=int(case_id * 525_000 / cases))
    closed = rng.random() < 0.7
    return {
        "id": case_id, "reference": f"B-{case_id}", "process_version_id": version_id, "state": state,
        "serializer_version": "bench", "lock_version": 1, "status": "closed" if closed else "open",
        "escalated": False, "legal_hold": False, "risk_level": rng.choice(RISK_LEVELS), "land": rng.choice(LANDS),
        "office_type": rng.choice(OFFICES), "contact_channel": rng.choice(("telefon", "email")),
        "incident_types": " ".join(sorted(rng.sample(TYPES, rng.randint(1, 2)))), "incident_channel": "email",
        "request_kind": "beratung", "opened_at": opened, "first_contact_at": opened + timedelta(minutes=rng.randint(5, 3000)),
        "closed_at": opened + timedelta(days=20) if closed else None, "updated_at": opened, "opened_by": "bench",
    }  # fmt: skip


def _contact(case: dict[str, Any]) -> dict[str, Any]:
    at = case["opened_at"]
    return {
        "case_id": case["id"],
        "at": at,
        "channel": "anruf",
        "direction": "eingehend",
        "recorded_at": at,
        "recorded_by": "b",
    }


def _task(case: dict[str, Any]) -> dict[str, Any]:
    at = case["opened_at"]
    return {
        "id": f"b{case['id']}", "case_id": case["id"], "element_id": "vermittlung", "title": "Vermittlung",
        "status": "completed", "priority": 50, "escalation": False, "created_at": at, "due_at": at + timedelta(days=2),
        "completed_at": at + timedelta(days=1 + case["id"] % 3), "case_escalated": False,
    }  # fmt: skip


def _referral(case: dict[str, Any], offer_id: int, office: BusinessCalendar) -> dict[str, Any]:
    at = case["opened_at"] + timedelta(hours=2 + case["id"] % 40)
    return {
        "opened_tenths": working_tenths(office, case["opened_at"], at),
        "case_id": case["id"], "offer_id": offer_id, "task_id": f"b{case['id']}", "status": "helped", "reason": "",
        "consent": False, "consent_facts": "", "created_at": at, "created_by": "b", "updated_at": at, "updated_by": "b",
    }  # fmt: skip
