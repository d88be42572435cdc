"""The contacts log: every call, e-mail, video call, letter or meeting with the person, in a few seconds.

Channel and direction stay readable codes (statistics count contacts by channel); the summary is sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.store.person_tables import CaseContact

CHANNELS = ("anruf", "email", "video", "brief", "treffen")
DIRECTIONS = ("eingehend", "ausgehend")
MAX_SUMMARY = 2000
MAX_MINUTES = 24 * 60


class ContactInvalid(DomainError):
    code = "contact_invalid"


@dataclass(frozen=True)
class ContactEntry:
    id: int
    at: datetime
    channel: str
    direction: str
    duration_minutes: int | None
    summary: str
    recorded_by: str


@dataclass(frozen=True)
class NewContact:
    channel: str
    direction: str
    at: datetime | None = None  # None: now
    duration_minutes: int | None = None
    summary: str = ""


def contact_binding(case_id: int) -> bytes:
    return f"contact:{case_id}".encode()


def checked(contact: NewContact, now: datetime) -> NewContact:
    if contact.channel not in CHANNELS:
        raise ContactInvalid("Bitte wählen Sie den Kanal.", "Please choose the channel.", field="kanal")
    if contact.direction not in DIRECTIONS:
        raise ContactInvalid(
            "Bitte wählen Sie: eingehend oder ausgehend.",
            "Please choose: incoming or outgoing.",
            field="richtung",
        )
    minutes = contact.duration_minutes
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES:
        raise ContactInvalid(
            "Die Dauer muss zwischen 0 und 1440 Minuten liegen.",
            "The duration must be between 0 and 1440 minutes.",
            field="dauer",
        )
    summary = (contact.summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise ContactInvalid(
            f"Die Zusammenfassung ist zu lang (höchstens {MAX_SUMMARY} Zeichen).",
            f"The summary is too long (at most {MAX_SUMMARY} characters).",
            field="zusammenfassung",
        )
    at = contact.at or now
    if at > now + timedelta(minutes=5):
        raise ContactInvalid(
            "Ein Kontakt kann nicht in der Zukunft liegen.",
            "A contact cannot be in the future.",
            field="zeitpunkt",
        )
    return NewContact(contact.channel, contact.direction, at, minutes, summary)


def log_contact(
    ctx: EngineContext, actor: Actor, case_id: int, contact: NewContact, now: datetime | None = None
) -> int:
    """Record a contact (ContactInvalid changes nothing); audited without its content."""
    now = now or ctx.clock.now()
    contact = checked(contact, now)
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        contact_id = insert_contact(ctx, session, case_id, contact, actor.username, now)
        session.commit()
    return contact_id


def insert_contact(
    ctx: EngineContext, session: Session, case_id: int, contact: NewContact, username: str, now: datetime
) -> int:
    """In the caller's transaction, for a checked contact."""
    row = CaseContact(
        case_id=case_id,
        at=contact.at or now,
        channel=contact.channel,
        direction=contact.direction,
        duration_minutes=contact.duration_minutes,
        sealed=ctx.vault.seal(contact.summary.encode(), contact_binding(case_id))
        if contact.summary
        else None,
        recorded_at=now,
        recorded_by=username,
    )
    session.add(row)
    session.flush()
    audit.record(session, now, username, "contact_logged", case_id, f"{contact.channel} {contact.direction}")
    return row.id


def case_contacts(ctx: EngineContext, session: Session, case_id: int) -> list[ContactEntry]:
    rows = session.scalars(
        select(CaseContact)
        .where(CaseContact.case_id == case_id)
        .order_by(CaseContact.at.desc(), CaseContact.id.desc())
    )
    return [
        ContactEntry(
            row.id,
            row.at,
            row.channel,
            row.direction,
            row.duration_minutes,
            ctx.vault.open(row.sealed, contact_binding(case_id)).decode() if row.sealed else "",
            row.recorded_by,
        )
        for row in rows
    ]
