"""Demo statistics: 18 months of monthly snapshots before the demo cases, so that /statistik shows trends.

These are aggregates only (as after the retention purge): plausible counts from a fixed random seed, no cases."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select

from engine.kernel.context import EngineContext
from engine.statistics.period import BERLIN
from engine.statistics.snapshots import MARKER
from engine.store.statistics_tables import StatisticsSnapshot

MONTHS = 18
LANDS = {"NW": 9, "BY": 7, "BW": 6, "NI": 5, "HE": 4, "SN": 4, "RP": 3, "BE": 3, "TH": 2, "ST": 2, "BB": 2,
         "SH": 2, "MV": 1, "HH": 1, "SL": 1, "HB": 1}  # fmt: skip
OFFICES = {
    "hauptamt_bm": 6,
    "ehrenamt_bm": 4,
    "ratsmitglied": 8,
    "landrat": 1,
    "kandidatin": 2,
    "verwaltung": 3,
}
RISKS = {"AKUT": 1, "HOCH": 4, "MITTEL": 8, "NIEDRIG": 6, "INFO": 3}
TYPES = {"beleidigung": 10, "bedrohung": 6, "verleumdung": 4, "nachstellung": 2, "sachbeschaedigung_privat": 2,
         "doxxing": 1, "volksverhetzung": 2}  # fmt: skip
CHANNELS = {"social_media": 8, "email": 4, "brief": 2, "sitzung": 2, "wohnort": 1}
CONTACT = {"telefon": 6, "email": 4, "video": 1, "portal": 2}
AFFECTED = {"selbst": 8, "familie": 2, "mitarbeitende": 1}
OUTCOMES = {"helped": 5, "reached": 3, "not_helped": 1}
CATEGORIES = {"polizei": 4, "opferberatung": 3, "hateaid": 3, "psychosozial": 2}
STEPS = ("vermittlung", "nachfassen", "risikoeinschaetzung")


def seed_history(ctx: EngineContext, now: datetime) -> int:
    """Snapshots for the 18 months before the current one, unless any month already has one; returns months."""
    months = _months_before(now.astimezone(BERLIN), MONTHS)
    with ctx.unit_of_work() as session:
        if session.scalar(select(StatisticsSnapshot.id).where(StatisticsSnapshot.month.in_(months)).limit(1)):
            return 0
        chance = random.Random(2026)
        for index, month in enumerate(months):
            counts = _month(chance, 14 + index // 2 + chance.randint(0, 8))
            session.add_all(
                StatisticsSnapshot(month=month, figure=figure, key=key, count=count, taken_at=now)
                for figure, by_key in counts.items()
                for key, count in by_key.items()
                if count
            )
            session.add(StatisticsSnapshot(month=month, figure=MARKER, key="", count=0, taken_at=now))
        session.commit()
    return len(months)


def _spread(chance: random.Random, weights: dict[str, int], total: int) -> dict[str, int]:
    counts = dict.fromkeys(weights, 0)
    for key in chance.choices(list(weights), weights=list(weights.values()), k=total):
        counts[key] += 1
    return counts


def _month(chance: random.Random, cases: int) -> dict[str, dict[str, int]]:
    referrals = int(cases * 1.3)
    risks = _spread(chance, RISKS, cases)
    counts = {
        "faelle_eroeffnet": {"": cases},
        "faelle_abgeschlossen": {"": max(0, cases - chance.randint(-3, 4))},
        "kontakte": _spread(chance, {"anruf": 6, "email": 4, "video": 1, "treffen": 1}, cases * 3),
        "anliegen": {"information": risks["INFO"], "beratung": cases - risks["INFO"]},
        "land": _spread(chance, LANDS, cases),
        "amt": _spread(chance, OFFICES, cases),
        "kontaktkanal": _spread(chance, CONTACT, cases),
        "vorfallkanal": _spread(chance, CHANNELS, cases - risks["INFO"]),
        "vorfallarten": _spread(chance, TYPES, int(cases * 1.4)),
        "betroffen": _spread(chance, AFFECTED, cases - risks["INFO"]),
        "risikostufe": risks,
        "risiko_entscheidung": {f"{level}|nein": n for level, n in risks.items()},
        "vermittlung_warm": _spread(chance, {"ja": 1, "nein": 2}, referrals),
        "vermittlung_ergebnis": _spread(chance, OUTCOMES, referrals),
        "strafantrag_verfolgt": _spread(chance, {"gestellt": 3, "offen": 1, "verzichtet": 1}, cases // 2),
        "strafantrag_fristende": _spread(chance, {"gestellt": 4, "verzichtet": 1}, cases // 3),
        "fristen_schritt": {f"{step}|{outcome}": n for step in STEPS
                            for outcome, n in _spread(chance, {"eingehalten": 9, "verpasst": 1}, cases).items()},
        "eskalationen_schritt": _spread(chance, {f"eskalation_{step}": 1 for step in STEPS}, chance.randint(0, 4)),
    }  # fmt: skip
    overridden = min(risks["MITTEL"], chance.randint(0, 3))
    counts["risiko_entscheidung"]["MITTEL|nein"] -= overridden
    counts["risiko_entscheidung"]["MITTEL|ja"] = overridden
    lands = _spread(chance, LANDS, referrals)
    categories = _spread(chance, CATEGORIES, referrals)
    pairs = zip(
        sorted(k for k, n in categories.items() for _ in range(n)),
        sorted(k for k, n in lands.items() for _ in range(n)),
        strict=True,
    )
    counts["vermittlung_kategorie_land"] = {}
    for category, land in pairs:
        key = f"{category}|{land}"
        counts["vermittlung_kategorie_land"][key] = counts["vermittlung_kategorie_land"].get(key, 0) + 1
    counts["zeit_erste_vermittlung"] = _durations(
        chance, risks, {"AKUT": 0.5, "HOCH": 5, "MITTEL": 14, "NIEDRIG": 30}
    )
    counts["zeit_erster_kontakt"] = _durations(
        chance, risks, {"AKUT": 0.2, "HOCH": 1, "MITTEL": 3, "NIEDRIG": 6, "INFO": 8}
    )
    affected = cases - risks["INFO"]
    topics = _spread(chance, {"sicherheit": 5, "recht": 4, "psychosozial": 3}, int(affected * 1.3))
    counts["anliegen_themen"] = {**topics, "information": risks["INFO"]}
    return counts


def _durations(chance: random.Random, risks: dict[str, int], typical: dict[str, float]) -> dict[str, int]:
    histogram: dict[str, int] = {}
    for level, hours in typical.items():
        for _ in range(risks.get(level, 0)):
            key = f"{level}|{round(chance.expovariate(1 / hours), 1):.1f}"
            histogram[key] = histogram.get(key, 0) + 1
    return histogram


def _months_before(now: datetime, count: int) -> list[str]:
    year, number = now.year, now.month
    months: list[str] = []
    for _ in range(count):
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
        months.append(f"{year:04d}-{number:02d}")
    return sorted(months)
