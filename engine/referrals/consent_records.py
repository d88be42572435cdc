"""Consents as facts: what the person agreed to (documentation, a handover or a dossier for one recipient),
the version of the text they were shown, when and by which channel; a withdrawal stops future sharing.

``engine.referrals.consent`` checks a referral choice; this module keeps the record and answers whether a
consent stands now (``consent_stands``), which the dossier's sending asks before anything is queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.directory.vocabulary import Labels
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound
from engine.store.evidence_tables import ConsentRecord

SUBJECTS: dict[str, Labels] = {
    "dokumentation": ("Dokumentation des Falls", "Documentation of the case"),
    "weitergabe": ("Weitergabe an eine Stelle", "Handover to a service"),
    "dossier": ("Beweisdossier an eine Stelle", "Evidence dossier to a recipient"),
}
RECIPIENTS: dict[str, Labels] = {
    "polizei": ("Polizei", "Police"),
    "hateaid": ("HateAid", "HateAid"),
    "meldestelle": ("Meldestelle", "Reporting office"),
}
CHANNELS: dict[str, Labels] = {
    "telefon": ("Telefon", "Phone"),
    "email": ("E-Mail", "E-mail"),
    "video": ("Video", "Video"),
    "vor_ort": ("Vor Ort", "In person"),
    "schriftlich": ("Schriftlich", "In writing"),
}
# The consent texts counsellors read out or send; a new wording gets a new version here.
TEXT_VERSIONS = {"dokumentation": "D-2026-1", "weitergabe": "W-2026-1", "dossier": "B-2026-1"}


class ConsentInvalid(DomainError):
    code = "consent_invalid"


@dataclass(frozen=True)
class Consent:
    id: int
    subject: str
    recipient: str | None
    text_version: str
    channel: str
    given_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None
    withdrawn_by: str | None

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


def record_consent(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    subject: str,
    recipient: str | None,
    channel: str,
    now: datetime | None = None,
) -> int:
    """Record a consent given now with the current text version; a recipient is needed except for documentation."""
    recipient = recipient or None
    if subject not in SUBJECTS:
        raise ConsentInvalid(
            "Bitte wählen Sie, wozu eingewilligt wurde.", "Please choose what was agreed to.", field="subject"
        )
    if subject == "dokumentation":
        recipient = None
    elif recipient not in RECIPIENTS:
        raise ConsentInvalid(
            "Bitte wählen Sie, an wen weitergegeben werden darf.",
            "Please choose who may receive it.",
            field="recipient",
        )
    if channel not in CHANNELS:
        raise ConsentInvalid(
            "Bitte wählen Sie, auf welchem Weg eingewilligt wurde.",
            "Please choose how the consent was given.",
            field="channel",
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        consent_id = session.execute(
            insert(ConsentRecord).values(
                case_id=case_id,
                subject=subject,
                recipient=recipient,
                text_version=TEXT_VERSIONS[subject],
                channel=channel,
                given_at=now,
                recorded_by=actor.username,
            )
        ).inserted_primary_key[0]
        audit.record(
            session, now, actor.username, "consent_recorded", case_id, f"{subject} {recipient or ''}".strip()
        )
        session.commit()
    return int(consent_id)


def withdraw_consent(
    ctx: EngineContext, actor: Actor, case_id: int, consent_id: int, now: datetime | None = None
) -> None:
    """The person withdraws: nothing is shared on this consent from now on (what was sent stays sent)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = session.scalar(
            select(ConsentRecord).where(ConsentRecord.id == consent_id, ConsentRecord.case_id == case_id)
        )
        if row is None:
            raise NotFound("Einwilligung/Consent", consent_id)
        if row.withdrawn_at is not None:
            raise ConsentInvalid(
                "Diese Einwilligung ist bereits widerrufen.", "This consent has already been withdrawn."
            )
        session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.id == consent_id)
            .values(withdrawn_at=now, withdrawn_by=actor.username)
        )
        detail = f"{row.subject} {row.recipient or ''}".strip()
        audit.record(session, now, actor.username, "consent_withdrawn", case_id, detail)
        session.commit()


def consent_history(ctx: EngineContext, actor: Actor, case_id: int) -> list[Consent]:
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        return case_consents(session, case_id)


def case_consents(session: Session, case_id: int) -> list[Consent]:
    rows = session.execute(
        select(
            ConsentRecord.id,
            ConsentRecord.subject,
            ConsentRecord.recipient,
            ConsentRecord.text_version,
            ConsentRecord.channel,
            ConsentRecord.given_at,
            ConsentRecord.recorded_by,
            ConsentRecord.withdrawn_at,
            ConsentRecord.withdrawn_by,
        )
        .where(ConsentRecord.case_id == case_id)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
    )
    return [Consent(*row) for row in rows]


def consent_stands(session: Session, case_id: int, subject: str, recipient: str | None) -> bool:
    """Whether a consent to ``subject`` for ``recipient`` was given and not withdrawn."""
    found = session.scalar(
        select(ConsentRecord.id)
        .where(
            ConsentRecord.case_id == case_id,
            ConsentRecord.subject == subject,
            ConsentRecord.recipient.is_(None) if recipient is None else ConsentRecord.recipient == recipient,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    return found is not None
