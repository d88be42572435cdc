"""Referral proposals: directory offers ranked for a case, each with the reasons it is proposed.

Candidates are read from the directory once per Land and kept per process while the directory stays
unchanged (``CANDIDATES``); the ranking itself only reads codes, never free text.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from engine.calendar.laender import GERMAN_LANDS
from engine.directory.vocabulary import INCIDENT_TYPES, NEEDS, Labels
from engine.store.case_store import CaseRecord
from engine.store.referral_tables import SupportOffer

ONLINE_CHANNELS = frozenset({"social_media", "email", "messenger", "presse"})
SEXUALISED = frozenset({"sexualisiert", "nachstellung"})
MAX_PROPOSALS = 10

Reason = tuple[str, str]  # German, English


# -- ranking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What the ranking knows of a case: codes only, never free text."""

    land: str | None
    risk_level: str | None
    incident_types: frozenset[str]
    channel: str | None = None
    woman: bool | None = None  # self-declared only; None: not asked
    needs: frozenset[str] = frozenset()  # chosen by the counsellor, added to the derived ones
    excluded: frozenset[int] = frozenset()  # offers that already did not help in this case


@dataclass(frozen=True)
class Candidate:
    """A directory entry as the ranking reads it."""

    id: int
    key: str
    name: str
    category: str
    lands: frozenset[str]
    incident_types: frozenset[str]
    needs: frozenset[str]


@dataclass(frozen=True)
class Proposal:
    offer_id: int
    key: str
    name: str
    category: str
    score: int
    reasons: tuple[Reason, ...]


def derived_needs(facts: CaseFacts) -> frozenset[str]:
    """Needs that follow from the case's risk level and incident (the counsellor may add more)."""
    needs = set(facts.needs)
    types = facts.incident_types
    level = facts.risk_level
    if level == "AKUT":
        needs |= {"akut", "sicherheit"}
    elif level == "HOCH":
        needs |= {"sicherheit", "anzeige", "psychosozial", "begleitung"}
    elif level == "MITTEL":
        needs |= {"anzeige", "begleitung"}
    elif level == "NIEDRIG":
        needs |= {"beweise", "psychosozial"}
    if facts.channel in ONLINE_CHANNELS and types - {"kein_vorfall"}:
        needs |= {"online_meldung", "beweise"}
    if types & {"koerperverletzung", "sachbeschaedigung_privat"}:
        needs.add("begleitung")
    if types & {"doxxing", "nachstellung"}:
        needs.add("adressschutz")
    if types & {"beleidigung", "ueble_nachrede"}:
        needs |= {"recht", "anzeige"}
    if _is_prevention(facts):
        needs |= {"praevention", "gremium"}
    if facts.woman:
        needs.add("frauen")
    return frozenset(needs)


def _is_prevention(facts: CaseFacts) -> bool:
    return facts.risk_level == "INFO" or not (facts.incident_types - {"kein_vorfall"})


def _labels(codes: Sequence[str], vocabulary: Mapping[str, Labels]) -> Reason:
    return (
        ", ".join(vocabulary[code][0] for code in codes if code in vocabulary),
        ", ".join(vocabulary[code][1] for code in codes if code in vocabulary),
    )


@dataclass(frozen=True)
class _Situation:
    """The case's side of the ranking, worked out once per ranking."""

    facts: CaseFacts
    needs: frozenset[str]
    types: frozenset[str]
    online: bool
    prevention: bool
    urgent: bool


def rank(candidates: Sequence[Candidate], facts: CaseFacts, limit: int = MAX_PROPOSALS) -> list[Proposal]:
    """The best offers for the case, each with the reasons it is proposed; best first.

    Every candidate is scored first; only the best ``limit`` are explained (the text is the costly part).
    """
    types = facts.incident_types - {"kein_vorfall"}
    situation = _Situation(
        facts=facts,
        needs=derived_needs(facts),
        types=types,
        online=facts.channel in ONLINE_CHANNELS and bool(types),
        prevention=_is_prevention(facts),
        urgent=facts.risk_level in ("AKUT", "HOCH"),
    )
    scored = []
    for offer in candidates:
        if offer.id in facts.excluded:
            continue
        score = _assess(offer, situation, None)
        if score > 0:
            scored.append((-score, offer.name, offer.id, offer))
    best = heapq.nsmallest(limit, scored)
    proposals = []
    for negative, _, _, offer in best:
        reasons: list[Reason] = []
        _assess(offer, situation, reasons)
        proposals.append(Proposal(offer.id, offer.key, offer.name, offer.category, -negative, tuple(reasons)))
    return proposals


def _assess(offer: Candidate, case: _Situation, reasons: list[Reason] | None) -> int:
    """The offer's score for the case (0: not proposed); with a list, also say why."""
    facts = case.facts
    score = 0
    if facts.risk_level == "AKUT" and "akut" in offer.needs:
        score += 1000
        if reasons is not None:
            reasons.append(("AKUT: Notruf sofort", "AKUT: emergency call at once"))
    if case.urgent and offer.category == "polizei" and facts.land in offer.lands:
        score += 500
        if reasons is not None:
            reasons.append(
                (
                    f"Risikostufe {facts.risk_level}: polizeiliche Ansprechstelle des Landes zuerst",
                    f"Risk level {facts.risk_level}: the Land's police contact point first",
                )
            )
    if case.online and (offer.category == "online" or "online_meldung" in offer.needs):
        score += 120
        if reasons is not None:
            reasons.append(
                ("Online-Vorfall: Meldestelle bzw. HateAid", "Online incident: reporting office or HateAid")
            )
    if "frauen" in offer.needs:
        if facts.woman is False:
            return 0
        if case.types & SEXUALISED:
            score += 150 if facts.woman else 40
            if reasons is not None:
                reasons.append(
                    (
                        "Stalking oder sexualisierte Bedrohung gegen eine Frau",
                        "Stalking or sexualised threat against a woman",
                    )
                    if facts.woman
                    else (
                        "Stalking oder sexualisierte Bedrohung – falls die Person sich als Frau versteht",
                        "Stalking or sexualised threat – if the person identifies as a woman",
                    )
                )
    if case.prevention:
        if offer.category == "praevention":
            score += 200
            if reasons is not None:
                reasons.append(("Informations- bzw. Präventionsanfrage", "Information or prevention request"))
        elif not case.types and offer.category in ("polizei", "staatsanwaltschaft"):
            return 0
    matched_types = case.types & offer.incident_types
    if matched_types:
        score += 30 * min(len(matched_types), 3)
        if reasons is not None:
            german, english = _labels(sorted(matched_types), INCIDENT_TYPES)
            reasons.append((f"passt zu: {german}", f"fits: {english}"))
    matched_needs = case.needs & offer.needs
    if matched_needs:
        score += 25 * len(matched_needs)
        if reasons is not None:
            german, english = _labels(sorted(matched_needs), NEEDS)
            reasons.append((f"Bedarf: {german}", f"need: {english}"))
    if score <= 0:
        return 0
    if offer.lands:
        score += 20
        if reasons is not None:
            reasons.append((f"im Land des Falls ({facts.land})", f"in the case's Land ({facts.land})"))
    elif reasons is not None:
        reasons.append(("bundesweit", "nationwide"))
    return score


_CANDIDATE_COLUMNS = (
    SupportOffer.id,
    SupportOffer.key,
    SupportOffer.name,
    SupportOffer.category,
    SupportOffer.lands,
    SupportOffer.incident_types,
    SupportOffer.needs,
)


def candidates(session: Session, land: str | None) -> list[Candidate]:
    """Active offers valid in ``land``: nationwide ones and those listing the Land."""
    scope = SupportOffer.lands == ""
    if land in GERMAN_LANDS:
        scope = or_(scope, SupportOffer.lands.like(f"%{land}%"))
    rows = session.execute(select(*_CANDIDATE_COLUMNS).where(SupportOffer.retired_at.is_(None), scope))
    return [
        Candidate(
            id,
            key,
            name,
            category,
            frozenset(lands.split()),
            frozenset(incident_types.split()),
            frozenset(needs.split()),
        )
        for id, key, name, category, lands, incident_types, needs in rows
    ]


class CandidateCache:
    """Candidates by Land, kept per database while the directory's stamp stays the same.

    Every write to the directory adds a row or raises an entry's version (retiring included), so the
    stamp (count, newest change, sum of versions) changes with it; one aggregate query checks it.
    """

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[Engine, tuple[tuple[Any, ...], dict[str, list[Candidate]]]]
        self._entries = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, session: Session, land: str | None) -> list[Candidate]:
        engine = session.get_bind()
        stamp = tuple(session.execute(_STAMP).one())
        with self._lock:
            seen, by_land = self._entries.get(engine, ((), {}))
            if seen != stamp:
                by_land = {}
                self._entries[engine] = (stamp, by_land)
            found = by_land.get(land or "")
        if found is None:
            found = candidates(session, land)
            with self._lock:
                by_land[land or ""] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_STAMP = select(func.count(), func.max(SupportOffer.updated_at), func.sum(SupportOffer.version))
CANDIDATES = CandidateCache()


def propose(session: Session, facts: CaseFacts, limit: int = MAX_PROPOSALS) -> list[Proposal]:
    return rank(CANDIDATES.get(session, facts.land), facts, limit)


def facts_of(
    case: CaseRecord,
    variables: Mapping[str, Any],
    needs: Sequence[str] = (),
    woman: bool | None = None,
    excluded: frozenset[int] = frozenset(),
) -> CaseFacts:
    """The ranking's view of a case: projected columns first, process variables for the incident."""
    types = variables.get("vorfallarten") or []
    if isinstance(types, str):
        types = [types]
    channel = variables.get("vorfallkanal")
    return CaseFacts(
        land=case.land or _code(variables.get("land")),
        risk_level=case.risk_level or _code(variables.get("risikostufe")),
        incident_types=frozenset(str(t) for t in types if str(t) in INCIDENT_TYPES),
        channel=channel if isinstance(channel, str) else None,
        woman=woman,
        needs=frozenset(n for n in needs if n in NEEDS),
        excluded=excluded,
    )


def _code(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
