"""Anonym or vertraulich: the person's choice, the two roles, and the particulars of a confidential case.

An anonymous case stores nothing that identifies the person: no particulars and no contact routes; a use
case that would store them is refused (``AnonymousCase``). A case without a recorded choice (opened before
the choice existed, when the form's default was anonymous) counts as anonymous.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.store.person_tables import CasePerson, ContactRoute

ANONYM, VERTRAULICH = "anonym", "vertraulich"
MODES = (ANONYM, VERTRAULICH)
SEEKER_ROLES = ("selbst", "angehoerige", "mitarbeitende", "dritte")  # who seeks advice
AFFECTED_ROLES = ("amtstraeger", "angehoerige", "mitarbeitende", "gremium")  # who is affected
MAX_TEXT = 500


class AnonymousCase(DomainError):
    code = "anonymous_case"

    def __init__(self) -> None:
        super().__init__(
            "Dieser Fall ist anonym: Es werden keine Kontaktdaten oder Namen gespeichert. Es wurde nichts "
            "gespeichert. Ändern Sie zuerst die Einstellung auf „vertraulich“, wenn die Person das wünscht.",
            "This case is anonymous: no contact details or names are stored. Nothing was saved. Change the "
            "setting to 'confidential' first if the person wishes so.",
        )


class PersonInvalid(DomainError):
    code = "person_invalid"


@dataclass(frozen=True)
class Particulars:
    """What a confidential case may keep about the person; every field is optional."""

    name: str = ""  # a name or pseudonym
    postal_address: str = ""
    preferred_times: str = ""
    message_allowed: bool = False  # whether a message may be left
    others_may_answer: str = ""  # who else may answer the phone

    def cleaned(self) -> Particulars:
        values = {}
        for name, value in asdict(self).items():
            if isinstance(value, str):
                value = value.strip()
                if len(value) > MAX_TEXT:
                    raise PersonInvalid(
                        f"Eine Angabe ist zu lang (höchstens {MAX_TEXT} Zeichen).",
                        f"An entry is too long (at most {MAX_TEXT} characters).",
                        field=name,
                    )
            values[name] = value
        return Particulars(**values)


@dataclass(frozen=True)
class PersonFacts:
    mode: str
    seeker_role: str | None
    affected_role: str | None
    particulars: Particulars | None  # None for an anonymous case

    @property
    def anonymous(self) -> bool:
        return self.mode == ANONYM


def person_binding(case_id: int) -> bytes:
    return f"person:{case_id}".encode()


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise PersonInvalid(
            "Bitte wählen Sie, ob die Person anonym oder vertraulich beraten werden möchte.",
            "Please choose whether the person wants anonymous or confidential counselling.",
            field="modus",
        )
    return mode


def mode_of(session: Session, case_id: int) -> str:
    return session.scalar(select(CasePerson.mode).where(CasePerson.case_id == case_id)) or ANONYM


def record_choice(session: Session, case_id: int, mode: str, username: str, now: datetime) -> None:
    """At intake, in the caller's transaction."""
    session.add(CasePerson(case_id=case_id, mode=check_mode(mode), updated_at=now, updated_by=username))


def require_confidential(session: Session, case_id: int) -> None:
    if mode_of(session, case_id) != VERTRAULICH:
        raise AnonymousCase()


def change_mode(
    ctx: EngineContext, actor: Actor, case_id: int, mode: str, now: datetime | None = None
) -> int:
    """Switch between anonym and vertraulich (audited). Becoming anonymous deletes the particulars and
    every contact route; returns how many routes were deleted."""
    check_mode(mode)
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = session.get(CasePerson, case_id)
        before = row.mode if row else ANONYM
        if before == mode:
            return 0
        if row is None:
            row = CasePerson(case_id=case_id, mode=mode, updated_at=now, updated_by=actor.username)
            session.add(row)
        row.mode, row.updated_at, row.updated_by = mode, now, actor.username
        deleted = 0
        if mode == ANONYM:
            row.sealed = None
            deleted = session.execute(delete(ContactRoute).where(ContactRoute.case_id == case_id)).rowcount
        audit.record(session, now, actor.username, "privacy_changed", case_id, f"{before}→{mode}")
        session.commit()
    return deleted


def save_person(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    seeker_role: str | None,
    affected_role: str | None,
    particulars: Particulars | None,
    now: datetime | None = None,
) -> None:
    """Record the two roles (any case) and the particulars (confidential cases only)."""
    if (seeker_role and seeker_role not in SEEKER_ROLES) or (
        affected_role and affected_role not in AFFECTED_ROLES
    ):
        raise PersonInvalid(
            "Bitte wählen Sie eine der Rollen.", "Please choose one of the roles.", field="rolle"
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = session.get(CasePerson, case_id)
        mode = row.mode if row else ANONYM
        if particulars is not None and any(asdict(particulars).values()) and mode != VERTRAULICH:
            raise AnonymousCase()
        if row is None:
            row = CasePerson(case_id=case_id, mode=mode, updated_at=now, updated_by=actor.username)
            session.add(row)
        row.seeker_role, row.affected_role = seeker_role or None, affected_role or None
        if mode == VERTRAULICH and particulars is not None:
            content = json.dumps(asdict(particulars.cleaned())).encode()
            row.sealed = ctx.vault.seal(content, person_binding(case_id))
        row.updated_at, row.updated_by = now, actor.username
        audit.record(session, now, actor.username, "person_updated", case_id, None)
        session.commit()


def person_facts(ctx: EngineContext, session: Session, case_id: int) -> PersonFacts:
    """Read inside a use case that has checked need to know and audits the view."""
    row = session.get(CasePerson, case_id)
    if row is None:
        return PersonFacts(ANONYM, None, None, None)
    particulars = None
    if row.mode == VERTRAULICH:
        particulars = Particulars()
        if row.sealed:
            particulars = Particulars(**json.loads(ctx.vault.open(row.sealed, person_binding(case_id))))
    return PersonFacts(row.mode, row.seeker_role, row.affected_role, particulars)
