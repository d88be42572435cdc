"""Merge a duplicate case into another: its contacts, contact routes, particulars, notes, referrals and links
move to the target; the duplicate keeps its reference as a pointer, leaves every list, and its open tasks
end. Both ends are audited; its own audit history stays under its id and is shown on the target.

Idempotent: merging the same case into the same target again (a double submit) changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases.appointments import move_appointments
from engine.cases.need_to_know import require_case_access
from engine.cases.notes import note_binding
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.person.case_links import LinkInvalid, other_case
from engine.person.contact_routes import route_binding
from engine.person.contacts_log import contact_binding
from engine.person.privacy import VERTRAULICH, person_binding
from engine.referrals.referral_content import referral_binding
from engine.store.person_tables import CaseContact, CaseLink, CaseMerge, CasePerson, ContactRoute
from engine.store.referral_tables import Referral
from engine.store.tables import Case, CaseNote, Task

MERGED = "merged"


class MergeRefused(DomainError):
    code = "merge_refused"


@dataclass(frozen=True)
class Merged:
    target_id: int
    target_reference: str
    already: bool  # it had been merged before (a double submit): nothing changed now


@dataclass(frozen=True)
class MergePlan:
    """What the confirmation page shows before anything happens."""

    source_reference: str
    target_id: int
    target_reference: str
    contacts: int
    routes: int
    notes: int
    referrals: int


def plan_merge(ctx: EngineContext, actor: Actor, source_id: int, target_text: str) -> MergePlan:
    with ctx.unit_of_work(writes=False) as session:
        target_id = _checked_target(session, actor, source_id, target_text)
        references = _references(session, source_id, target_id)

        def count(table: type[CaseContact | ContactRoute | CaseNote | Referral]) -> int:
            return (
                session.scalar(select(func.count()).select_from(table).where(table.case_id == source_id)) or 0
            )

        return MergePlan(
            references[source_id],
            target_id,
            references[target_id],
            count(CaseContact),
            count(ContactRoute),
            count(CaseNote),
            count(Referral),
        )


def merge_case(
    ctx: EngineContext, actor: Actor, source_id: int, target_text: str, now: datetime | None = None
) -> Merged:
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        done = _merged_before(session, source_id)
        if done is not None:
            return done
        target_id = _checked_target(session, actor, source_id, target_text)
        references = _references(session, source_id, target_id)
        session.add(
            CaseMerge(
                merged_case_id=source_id, target_case_id=target_id, merged_at=now, merged_by=actor.username
            )
        )
        try:
            session.flush()
        except IntegrityError:  # the same merge committed meanwhile (a double submit on PostgreSQL)
            session.rollback()
            done = _merged_before(session, source_id)
            if done is None:
                raise
            return done
        move_appointments(ctx, session, source_id, target_id)  # before the duplicate's open tasks end
        _retire(session, source_id, now)
        _move_content(ctx, session, source_id, target_id)
        _move_links(session, source_id, target_id, now, actor.username)
        session.execute(
            update(CaseMerge).where(CaseMerge.target_case_id == source_id).values(target_case_id=target_id)
        )
        audit.record(session, now, actor.username, "case_merged", source_id, f"→{references[target_id]}")
        audit.record(session, now, actor.username, "case_merged_in", target_id, f"←{references[source_id]}")
        session.commit()
    ctx.instances.clear()
    return Merged(target_id, references[target_id], False)


def _merged_before(session: Session, source_id: int) -> Merged | None:
    found = session.execute(
        select(Case.id, Case.reference)
        .join(CaseMerge, CaseMerge.target_case_id == Case.id)
        .where(CaseMerge.merged_case_id == source_id)
    ).first()
    return Merged(found.id, found.reference or str(found.id), True) if found else None


def _checked_target(session: Session, actor: Actor, source_id: int, target_text: str) -> int:
    require_case_access(session, actor, source_id)
    try:
        target_id = other_case(session, source_id, target_text)
    except LinkInvalid as invalid:
        raise MergeRefused(invalid.german, invalid.english, field="ziel") from None
    require_case_access(session, actor, target_id)
    statuses = dict(
        session.execute(select(Case.id, Case.status).where(Case.id.in_((source_id, target_id)))).all()
    )
    if statuses[target_id] == MERGED:
        raise MergeRefused(
            "Der Zielfall wurde selbst schon zusammengeführt; wählen Sie den Fall, in den er überführt wurde.",
            "The target case was merged itself; choose the case it was merged into.",
            field="ziel",
        )
    if (
        _identifies(session, source_id)
        and session.scalar(select(CasePerson.mode).where(CasePerson.case_id == target_id)) != VERTRAULICH
    ):
        raise MergeRefused(
            "Der Zielfall ist anonym, dieser Fall enthält Kontaktdaten: Stellen Sie den Zielfall zuerst auf "
            "„vertraulich“, wenn die Person das wünscht.",
            "The target case is anonymous and this case holds contact details: set the target case to "
            "'confidential' first if the person wishes so.",
            field="ziel",
        )
    return target_id


def _identifies(session: Session, case_id: int) -> bool:
    routes = exists().where(ContactRoute.case_id == case_id)
    particulars = exists().where(CasePerson.case_id == case_id, CasePerson.sealed.is_not(None))
    return bool(session.scalar(select(routes | particulars)))


def _references(session: Session, *ids: int) -> dict[int, str]:
    rows = session.execute(select(Case.id, Case.reference).where(Case.id.in_(ids))).all()
    return {row.id: row.reference or str(row.id) for row in rows}


def _retire(session: Session, case_id: int, now: datetime) -> None:
    """Out of every list: the status says merged, no timer fires, open tasks end; the lock moves on."""
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(
            status=MERGED,
            next_timer_at=None,
            closed_at=func.coalesce(
                Case.closed_at, now
            ),  # the retention period starts (engine.cases.retention)
            updated_at=now,
            lock_version=Case.lock_version + 1,
        )
    )
    session.execute(
        update(Task)
        .where(Task.case_id == case_id, Task.status == "open")
        .values(status="cancelled", completed_at=now)
    )


def _move_content(ctx: EngineContext, session: Session, source: int, target: int) -> None:
    """Sealed rows are opened with the old case's binding and sealed again with the target's."""
    vault = ctx.vault

    def reseal(sealed: bytes | None, binding: Callable[[int], bytes]) -> bytes | None:
        return None if sealed is None else vault.seal(vault.open(sealed, binding(source)), binding(target))

    for contact in session.scalars(select(CaseContact).where(CaseContact.case_id == source)):
        contact.sealed, contact.case_id = reseal(contact.sealed, contact_binding), target
    target_digests = set(session.scalars(select(ContactRoute.digest).where(ContactRoute.case_id == target)))
    for route in session.scalars(select(ContactRoute).where(ContactRoute.case_id == source)):
        if route.digest in target_digests:
            session.delete(route)
        else:
            route.sealed, route.case_id = reseal(route.sealed, route_binding), target
    for note in session.scalars(select(CaseNote).where(CaseNote.case_id == source)):
        note.body, note.case_id = reseal(note.body, note_binding), target
    for referral in session.scalars(select(Referral).where(Referral.case_id == source)):
        referral.sealed, referral.case_id = reseal(referral.sealed, referral_binding), target
    _move_particulars(ctx, session, source, target)
    session.flush()


def _move_particulars(ctx: EngineContext, session: Session, source: int, target: int) -> None:
    """The target keeps its own particulars; it takes the duplicate's only where it has none."""
    mine, theirs = session.get(CasePerson, source), session.get(CasePerson, target)
    if mine is None or mine.sealed is None or theirs is None:
        return
    if theirs.sealed is None:
        content = json.loads(ctx.vault.open(mine.sealed, person_binding(source)))
        theirs.sealed = ctx.vault.seal(json.dumps(content).encode(), person_binding(target))
    theirs.seeker_role = theirs.seeker_role or mine.seeker_role
    theirs.affected_role = theirs.affected_role or mine.affected_role
    mine.sealed = None


def _move_links(session: Session, source: int, target: int, now: datetime, username: str) -> None:
    links = session.scalars(
        select(CaseLink).where((CaseLink.case_id == source) | (CaseLink.other_case_id == source))
    ).all()
    for link in links:
        other = link.other_case_id if link.case_id == source else link.case_id
        session.delete(link)
        session.flush()
        if other == target:
            continue
        first, second = sorted((other, target))
        known = exists().where(
            CaseLink.case_id == first, CaseLink.other_case_id == second, CaseLink.kind == link.kind
        )
        if not session.scalar(select(known)):
            session.add(
                CaseLink(
                    case_id=first, other_case_id=second, kind=link.kind, created_at=now, created_by=username
                )
            )
