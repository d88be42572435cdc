"""Closed-loop referrals: proposals ranked from the directory with their reasons, consent per recipient,
the warm handover e-mail through the outbox, and the status each referral reaches at the follow-up.

The two BPMN steps stay as modelled: ``vermittlung`` records referrals alongside its form, ``nachfassen``
updates their statuses and its answer ``hilfe_angekommen`` is derived from them (see ``follow_up_answer``).
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from engine.bpmn.facade import Instance
from engine.calendar.business_calendar import GERMAN_LANDS
from engine.cases.lifecycle import StepAddition, TaskFacts
from engine.directory.offers import INCIDENT_TYPES, NEEDS, Labels, matching_offers
from engine.kernel import audit, outbox
from engine.kernel.actor import Actor
from engine.kernel.errors import DomainError
from engine.store.case_store import CaseRecord
from engine.store.referral_tables import Referral, SupportOffer

VERMITTLUNG = "vermittlung"
NACHFASSEN = "nachfassen"
STATUSES: dict[str, Labels] = {
    "proposed": ("vorgeschlagen", "proposed"),
    "given": ("Kontaktdaten weitergegeben", "contact details given"),
    "handed_over": ("warm übergeben", "handed over"),
    "reached": ("Kontakt kam zustande", "reached"),
    "helped": ("hat geholfen", "helped"),
    "not_helped": ("hat nicht geholfen", "not helped"),
}
CHOICES = ("proposed", "given", "handover")  # what the counsellor picks at Vermittlung
FOLLOW_UP = ("reached", "helped", "not_helped")  # what the Nachfassen step settles
SHAREABLE: dict[str, Labels] = {
    "land": ("Bundesland", "Land"),
    "amt": ("Amt / Funktion", "Office"),
    "vorfallarten": ("Art des Vorfalls", "Incident types"),
    "vorfallkanal": ("Wo bzw. wie geschah der Vorfall", "Where it happened"),
    "risikostufe": ("Risikostufe", "Risk level"),
    "kurzbeschreibung": ("Kurzbeschreibung", "Short description"),
    "kontakt": ("So ist die Person erreichbar", "How to reach the person"),
}
ONLINE_CHANNELS = frozenset({"social_media", "email", "messenger", "presse"})
SEXUALISED = frozenset({"sexualisiert", "nachstellung"})
MAX_PROPOSALS = 10
# the Vermittlung form's summary codes an offer stands for, by key first, then by category
TARGET_BY_KEY = {
    "polizei_notruf": "polizei_notruf",
    "hateaid": "hateaid",
    "hilfetelefon_frauen": "hilfetelefon_frauen",
    "weisser_ring": "weisser_ring",
    "bmb": "mobile_beratung",
}
TARGET_BY_CATEGORY = {
    "polizei": "polizei_ansprechstelle",
    "staatsanwaltschaft": "staatsanwaltschaft",
    "opferberatung": "opferberatung",
    "online": "meldestelle",
    "psychosozial": "psychosozial",
    "recht": "rechtsberatung",
}

Reason = tuple[str, str]  # German, English


class ReferralInvalid(DomainError):
    """Referral choices that cannot be recorded; ``errors`` maps an offer id (or field) to messages."""

    code = "referral_invalid"

    def __init__(self, errors: dict[str, Reason]) -> None:
        self.errors = errors
        super().__init__(
            "Die Vermittlung wurde nicht gespeichert: " + " ".join(m[0] for m in errors.values()),
            "The referral was not saved: " + " ".join(m[1] for m in errors.values()),
        )


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


# -- the case's referrals --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralEntry:
    id: int
    offer_id: int
    offer_name: str
    category: str
    phone: str
    email: str
    web: str
    internal_only: bool
    status: str
    reason: str
    consent_facts: tuple[str, ...]
    handover_recipient: str | None
    handover_at: datetime | None
    task_id: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


def case_referrals(session: Session, case_id: int) -> list[ReferralEntry]:
    rows = session.execute(
        select(Referral, SupportOffer)
        .join(SupportOffer, SupportOffer.id == Referral.offer_id)
        .where(Referral.case_id == case_id)
        .order_by(Referral.id)
    ).all()
    return [
        ReferralEntry(
            id=r.id,
            offer_id=o.id,
            offer_name=o.name,
            category=o.category,
            phone=o.phone,
            email=o.email,
            web=o.web,
            internal_only=o.internal_only,
            status=r.status,
            reason=r.reason,
            consent_facts=tuple(r.consent_facts.split()),
            handover_recipient=r.handover_recipient,
            handover_at=r.handover_at,
            task_id=r.task_id,
            created_at=r.created_at,
            created_by=r.created_by,
            updated_at=r.updated_at,
            updated_by=r.updated_by,
        )
        for r, o in rows
    ]


def latest_round(entries: Sequence[ReferralEntry]) -> list[ReferralEntry]:
    """The referrals of the most recent Vermittlung: the ones the next Nachfassen settles."""
    if not entries:
        return []
    task_id = entries[-1].task_id
    return [entry for entry in entries if entry.task_id == task_id]


def follow_up_answer(statuses: Sequence[str]) -> str:
    """``hilfe_angekommen`` from the settled referrals: all not helped → nein, all helped → ja, else teilweise."""
    if all(status == "not_helped" for status in statuses):
        return "nein"
    if all(status == "helped" for status in statuses):
        return "ja"
    return "teilweise"


# -- recording at Vermittlung and Nachfassen --------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What the counsellor chose for one offer: a status, and for a warm handover the consent."""

    offer_id: int
    status: str  # one of CHOICES
    consent: bool = False
    facts: tuple[str, ...] = ()
    contact: str = ""
    identity_checked: bool = False


def referral_step(choices: Sequence[Choice], follow_up: Mapping[int, str], actor: Actor) -> StepAddition:
    """The work the referral steps do alongside completing their task (see ``engine.cases.complete_task``)."""

    def alongside(
        session: Session,
        task: TaskFacts,
        case: CaseRecord,
        instance: Instance,
        values: dict[str, Any],
        now: datetime,
    ) -> Mapping[str, Any]:
        if task.element_id == VERMITTLUNG and choices:
            return _record_choices(session, task, case, instance, values, choices, actor, now)
        if task.element_id == NACHFASSEN:
            return _settle(session, case, values, follow_up, actor, now)
        return values

    return alongside


def _record_choices(
    session: Session,
    task: TaskFacts,
    case: CaseRecord,
    instance: Instance,
    values: dict[str, Any],
    choices: Sequence[Choice],
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    variables = instance.variables()
    offers = {
        row.id: row
        for row in session.scalars(
            select(SupportOffer).where(SupportOffer.id.in_([c.offer_id for c in choices]))
        )
    }
    errors = {}
    for choice in choices:
        problem = _check_choice(choice, offers.get(choice.offer_id))
        if problem:
            errors[str(choice.offer_id)] = problem
    if errors:
        raise ReferralInvalid(errors)
    proposals = {p.offer_id: p for p in propose(session, facts_of(case, variables), limit=10_000)}
    labels = _field_labels(instance)
    targets = list(values.get("vermittlungsziele") or [])
    for choice in choices:
        offer = offers[choice.offer_id]
        proposal = proposals.get(offer.id)
        reason = "; ".join(r[0] for r in proposal.reasons) if proposal else "von Hand gewählt"
        handover = choice.status == "handover"
        referral = Referral(
            case_id=case.id,
            offer_id=offer.id,
            task_id=task.id,
            status="handed_over" if handover else choice.status,
            reason=reason[:500],
            consent=handover,
            consent_facts=" ".join(choice.facts) if handover else "",
            consent_at=now if handover else None,
            handover_recipient=(offer.email or offer.phone) if handover else None,
            handover_at=now if handover else None,
            created_at=now,
            created_by=actor.username,
            updated_at=now,
            updated_by=actor.username,
        )
        session.add(referral)
        session.flush()
        audit.record(session, now, actor.username, "referred", case.id, f"{offer.key}: {referral.status}")
        if handover and offer.email:
            outbox.enqueue(
                session,
                now,
                dedupe_key=f"referral-{referral.id}-handover",
                kind="referral_handover",
                recipient=offer.email,
                subject=f"Warme Übergabe durch die starke Stelle (Vermittlung R-{referral.id})",
                body=handover_text(offer.name, choice, variables, labels),
                case_id=case.id,
            )
            audit.record(
                session,
                now,
                actor.username,
                "handover_queued",
                case.id,
                f"{offer.key}: {' '.join(choice.facts)}",
            )
        target = TARGET_BY_KEY.get(offer.key) or TARGET_BY_CATEGORY.get(offer.category)
        if target and choice.status != "proposed" and target not in targets:
            targets.append(target)
    return {**values, "vermittlungsziele": targets}


def _check_choice(choice: Choice, offer: SupportOffer | None) -> Reason | None:
    if offer is None or offer.retired_at is not None:
        return (
            "Diese Stelle steht nicht (mehr) im Verzeichnis.",
            "This service is not (or no longer) in the directory.",
        )
    name = offer.name
    if choice.status not in CHOICES:
        return (f"{name}: unbekannte Auswahl.", f"{name}: unknown choice.")
    if offer.internal_only and choice.status != "proposed" and not choice.identity_checked:
        return (
            f"{name}: nur intern – die Nummer darf nur an Anrufende mit geprüfter Identität gehen.",
            f"{name}: internal only – the number may only go to callers whose identity was checked.",
        )
    if choice.status != "handover":
        return None
    if not offer.warm_handover:
        return (
            f"{name}: eine warme Übergabe ist mit dieser Stelle nicht vereinbart; bitte nur Kontaktdaten weitergeben.",
            f"{name}: no warm handover is agreed with this service; please give the contact details only.",
        )
    if not choice.consent:
        return (
            f"{name}: ohne Einwilligung der Person keine warme Übergabe – dann nur Kontaktdaten weitergeben.",
            f"{name}: no warm handover without the person's consent – give the contact details only.",
        )
    unknown = [fact for fact in choice.facts if fact not in SHAREABLE]
    if unknown or not choice.facts:
        return (
            f"{name}: bitte angeben, welche Angaben weitergegeben werden dürfen.",
            f"{name}: please say which facts may be shared.",
        )
    if "kontakt" in choice.facts and not choice.contact.strip():
        return (
            f"{name}: bitte den Kontaktweg eintragen, den die Person freigegeben hat.",
            f"{name}: please enter how the person agreed to be reached.",
        )
    if len(choice.contact) > 500:
        return (f"{name}: Kontaktweg höchstens 500 Zeichen.", f"{name}: contact at most 500 characters.")
    return None


def _field_labels(instance: Instance) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for step in instance.completed_steps():
        for field in step.form.fields:
            if field.options:
                labels.setdefault(field.id, {}).update(dict(field.options))
    return labels


def handover_text(
    offer_name: str, choice: Choice, variables: Mapping[str, Any], labels: Mapping[str, Mapping[str, str]]
) -> str:
    """The handover e-mail: exactly the facts the person agreed to share with this recipient, nothing else."""
    lines = []
    for fact in choice.facts:
        if fact == "kontakt":
            value = choice.contact.strip()
        else:
            raw = variables.get(fact)
            items = raw if isinstance(raw, list) else [raw] if raw not in (None, "") else []
            value = ", ".join(labels.get(fact, {}).get(str(item), str(item)) for item in items)
        lines.append(f"- {SHAREABLE[fact][0]}: {value or '(keine Angabe)'}")
    return "\n".join(
        [
            "Guten Tag,",
            "",
            f"die starke Stelle vermittelt mit Einwilligung der betroffenen Person an: {offer_name}.",
            "Die Person hat eingewilligt, dass wir Ihnen Folgendes mitteilen:",
            "",
            *lines,
            "",
            "Weitere Angaben geben wir ohne neue Einwilligung nicht weiter.",
            "Bitte bestätigen Sie kurz den Eingang dieser Übergabe.",
            "",
            "Mit freundlichen Grüßen",
            "starke Stelle – Lotsenfunktion",
        ]
    )


def _settle(
    session: Session,
    case: CaseRecord,
    values: dict[str, Any],
    follow_up: Mapping[int, str],
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Store each referral's outcome and answer ``hilfe_angekommen`` from them (no referrals: as typed)."""
    open_round = latest_round(case_referrals(session, case.id))
    if not open_round:
        return values
    errors = {}
    for entry in open_round:
        status = follow_up.get(entry.id)
        if status not in FOLLOW_UP:
            errors[str(entry.id)] = (
                f"{entry.offer_name}: bitte angeben, ob der Kontakt zustande kam und ob er geholfen hat.",
                f"{entry.offer_name}: please say whether contact was made and whether it helped.",
            )
    if errors:
        raise ReferralInvalid(errors)
    for entry in open_round:
        status = follow_up[entry.id]
        if status != entry.status:
            row = session.get(Referral, entry.id)
            row.status = status
            row.updated_at = now
            row.updated_by = actor.username
            audit.record(session, now, actor.username, "referral_updated", case.id, f"R-{entry.id}: {status}")
    return {**values, "hilfe_angekommen": follow_up_answer([follow_up[e.id] for e in open_round])}


# -- what the task page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralPanel:
    step: str  # vermittlung or nachfassen
    proposals: tuple[Proposal, ...]
    offers: dict[int, SupportOffer]  # detached rows of the proposed and found offers, for contact details
    referrals: tuple[ReferralEntry, ...]  # every referral of the case
    open_round: tuple[ReferralEntry, ...]  # settled by this Nachfassen
    facts: CaseFacts
    needs: frozenset[str]
    search: str = ""  # what the counsellor searched the directory for
    found: tuple[int, ...] = ()  # offers not proposed: search hits, then offers already chosen
    more_found: bool = False  # the search matched more entries than are shown


def referral_panel(
    session: Session,
    element_id: str,
    case: CaseRecord,
    variables: Mapping[str, Any],
    needs: Sequence[str] = (),
    woman: bool | None = None,
    search: str = "",
    keep: Sequence[int] = (),
) -> ReferralPanel | None:
    """The proposals (Vermittlung) or the referrals to settle (Nachfassen); None for other steps.

    Beside the proposals, Vermittlung shows the directory entries matching ``search`` (any Land, so
    that a service across the border can be chosen too) and the entries in ``keep`` (chosen on a form
    that comes back with an error), so that no choice disappears from the page.
    """
    if element_id not in (VERMITTLUNG, NACHFASSEN):
        return None
    referrals = case_referrals(session, case.id)
    if element_id == NACHFASSEN:
        return ReferralPanel(
            element_id,
            (),
            {},
            tuple(referrals),
            tuple(latest_round(referrals)),
            facts_of(case, variables),
            frozenset(),
        )
    failed = frozenset(entry.offer_id for entry in referrals if entry.status == "not_helped")
    facts = facts_of(case, variables, needs, woman, failed)
    proposals = propose(session, facts)
    proposed = [p.offer_id for p in proposals]
    search = search.strip()[:MAX_SEARCH]
    hits = _search_hits(session, search, exclude=proposed)
    shown = hits[:MAX_FOUND]
    found = [*shown, *(i for i in dict.fromkeys(keep) if i not in proposed and i not in shown)]
    wanted = [*proposed, *found]
    rows = session.scalars(
        select(SupportOffer).where(SupportOffer.id.in_(wanted), SupportOffer.retired_at.is_(None))
    )
    offers = {row.id: row for row in rows}
    for row in offers.values():
        session.expunge(row)
    return ReferralPanel(
        element_id,
        tuple(proposals),
        offers,
        tuple(referrals),
        (),
        facts,
        derived_needs(facts),
        search,
        tuple(offer_id for offer_id in found if offer_id in offers),
        len(hits) > MAX_FOUND,
    )


MAX_SEARCH = 100  # characters of a search
MAX_FOUND = 10  # search hits shown beside the proposals


def _search_hits(session: Session, text: str, exclude: Sequence[int]) -> list[int]:
    """Ids of active entries matching ``text`` that are not proposed anyway, by name; one more than
    shown, so the page can say that there are more."""
    if not text:
        return []
    query = matching_offers(text).where(SupportOffer.id.not_in(exclude)).with_only_columns(SupportOffer.id)
    return list(session.scalars(query.order_by(SupportOffer.name, SupportOffer.id).limit(MAX_FOUND + 1)))
