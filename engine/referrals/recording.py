"""Referrals recorded on a case: what the Vermittlung step stores per choice, and the case's referral list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import TaskFacts
from engine.directory.vocabulary import Labels
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.errors import DomainError
from engine.kernel.message_content import session_vault
from engine.referrals.consent import Choice, check_choice
from engine.referrals.handover import field_labels, queue_handover
from engine.referrals.proposals import Reason, facts_of, propose
from engine.referrals.referral_content import open_referral, seal_referral
from engine.statistics.durations import working_tenths
from engine.store.case_store import CaseRecord
from engine.store.referral_tables import Referral, SupportOffer
from engine.store.tables import Case

STATUSES: dict[str, Labels] = {
    "proposed": ("vorgeschlagen", "proposed"),
    "given": ("Kontaktdaten weitergegeben", "contact details given"),
    "handed_over": ("warm übergeben", "handed over"),
    "confirmed": ("Übergabe bestätigt", "handover confirmed"),
    "reached": ("Kontakt kam zustande", "reached"),
    "helped": ("hat geholfen", "helped"),
    "not_helped": ("hat nicht geholfen", "not helped"),
}
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


class ReferralInvalid(DomainError):
    """Referral choices that cannot be recorded; ``errors`` maps an offer id (or field) to messages."""

    code = "referral_invalid"

    def __init__(self, errors: dict[str, Reason]) -> None:
        self.errors = errors
        super().__init__(
            "Die Vermittlung wurde nicht gespeichert: " + " ".join(m[0] for m in errors.values()),
            "The referral was not saved: " + " ".join(m[1] for m in errors.values()),
        )


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
    offer_key: str = ""


def case_referrals(session: Session, case_id: int) -> list[ReferralEntry]:
    rows = session.execute(
        select(Referral, SupportOffer)
        .join(SupportOffer, SupportOffer.id == Referral.offer_id)
        .where(Referral.case_id == case_id)
        .order_by(Referral.id)
    ).all()
    vault = session_vault(session)
    opened = {r.id: open_referral(vault, case_id, r.sealed) for r, _ in rows}
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
            reason=opened[r.id][0],
            consent_facts=tuple(r.consent_facts.split()),
            handover_recipient=opened[r.id][1],
            handover_at=r.handover_at,
            task_id=r.task_id,
            created_at=r.created_at,
            created_by=r.created_by,
            updated_at=r.updated_at,
            updated_by=r.updated_by,
            offer_key=o.key,
        )
        for r, o in rows
    ]


def record_choices(
    session: Session,
    task: TaskFacts,
    case: CaseRecord,
    instance: Instance,
    values: dict[str, Any],
    choices: Sequence[Choice],
    actor: Actor,
    now: datetime,
    office: BusinessCalendar,
) -> dict[str, Any]:
    """Store a referral per checked choice (and queue warm handovers); add the targets to the form's values."""
    variables = instance.variables()
    offers = {
        row.id: row
        for row in session.scalars(
            select(SupportOffer).where(SupportOffer.id.in_([c.offer_id for c in choices]))
        )
    }
    errors = {}
    for choice in choices:
        problem = check_choice(choice, offers.get(choice.offer_id))
        if problem:
            errors[str(choice.offer_id)] = problem
    if errors:
        raise ReferralInvalid(errors)
    proposals = {p.offer_id: p for p in propose(session, facts_of(case, variables), limit=10_000)}
    labels = field_labels(instance)
    targets = list(values.get("vermittlungsziele") or [])
    tenths = working_tenths(office, case.opened_at, now) if case.opened_at else None
    if choices and not session.scalar(select(exists().where(Referral.case_id == case.id))):
        session.execute(update(Case).where(Case.id == case.id).values(first_referral_tenths=tenths))
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
            sealed=seal_referral(
                session_vault(session),
                case.id,
                reason[:500],
                (offer.email or offer.phone) if handover else None,
            ),
            consent=handover,
            consent_facts=" ".join(choice.facts) if handover else "",
            consent_at=now if handover else None,
            handover_at=now if handover else None,
            created_at=now,
            created_by=actor.username,
            opened_tenths=tenths,
            updated_at=now,
            updated_by=actor.username,
        )
        session.add(referral)
        session.flush()
        audit.record(session, now, actor.username, "referred", case.id, f"{offer.key}: {referral.status}")
        if handover and offer.email:
            queue_handover(session, now, actor, case.id, referral.id, offer, choice, variables, labels)
        target = TARGET_BY_KEY.get(offer.key) or TARGET_BY_CATEGORY.get(offer.category)
        if target and choice.status != "proposed" and target not in targets:
            targets.append(target)
    return {**values, "vermittlungsziele": targets}
