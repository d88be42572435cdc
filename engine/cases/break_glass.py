"""Break-glass: a glimpse of a case outside one's need to know, a request for access, and the audited,
expiring emergency access with a reason that notifies the team leads (need_to_know honours the grant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BERLIN
from engine.cases.need_to_know import has_case_access
from engine.kernel import audit, outbox
from engine.kernel.actor import TEAM_LEAD, Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.kernel.settings import break_glass_hours
from engine.store.access_tables import BreakGlassGrant
from engine.store.tables import Case, Staff, Task

MAX_REASON_CHARS = 500


class ReasonMissing(DomainError):
    code = "reason_missing"


@dataclass(frozen=True)
class Glimpse:
    """What anyone who counsels may learn of a case outside her need to know."""

    case_id: int
    reference: str
    status: str
    workers: tuple[str, ...]  # display names of the assignees of its open tasks (or who opened it)
    groups: tuple[str, ...]  # the groups its unclaimed open tasks wait for
    accessible: bool


@dataclass(frozen=True)
class GrantEntry:
    case_id: int
    reference: str
    username: str
    display_name: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    active: bool


def reason_binding(case_id: int) -> bytes:
    return f"break-glass:{case_id}".encode()


def glimpse_case(ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None) -> Glimpse:
    """Reference, status and who works on the case; audited as a glimpse, not as a view."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        accessible = has_case_access(session, actor, case_id)
        case = session.get(Case, case_id)
        assert case is not None  # has_case_access raised NotFound otherwise
        workers, groups = _workers(session, case)
        glimpse = Glimpse(case_id, case.reference or str(case_id), case.status, workers, groups, accessible)
        audit.record(session, now, actor.username, "case_glimpsed", case_id, None)
        session.commit()
    return glimpse


def request_access(ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None) -> None:
    """Ask the people working on the case (or, if nobody is, the team leads) by e-mail to grant access."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        case = _case(session, case_id)
        assignees = sorted(
            set(session.scalars(select(Task.assignee).where(Task.case_id == case_id, Task.status == "open")))
            - {None}
        )
        recipients = [f"staff:{name}" for name in assignees] or [f"group:{TEAM_LEAD}"]
        asker = _display_name(session, actor.username)
        for recipient in recipients:
            outbox.enqueue(
                session,
                now,
                dedupe_key=f"access-request:{case_id}:{actor.username}:{recipient}:{now.isoformat()}",
                kind="access_request",
                recipient=recipient,
                subject=f"Lotse: {asker} bittet um Zugang zu Fall {case.reference}",
                body=(
                    f"{asker} bittet um Zugang zu Fall {case.reference}. Wenn das passt, weisen Sie "
                    f"{asker} eine Aufgabe des Falls zu: /faelle/{case_id}"
                ),
                case_id=case_id,
            )
        audit.record(session, now, actor.username, "access_requested", case_id, None)
        session.commit()


def break_glass(
    ctx: EngineContext, actor: Actor, case_id: int, reason: str, now: datetime | None = None
) -> datetime:
    """Grant the actor access to the case until the returned time; the reason is required and sealed."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonMissing(
            "Bitte geben Sie einen Grund für den Notfallzugriff an.",
            "Please give a reason for the emergency access.",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ReasonMissing(
            f"Der Grund ist zu lang (höchstens {MAX_REASON_CHARS} Zeichen).",
            f"The reason is too long (at most {MAX_REASON_CHARS} characters).",
        )
    now = now or ctx.clock.now()
    until = now + timedelta(hours=break_glass_hours())
    with ctx.unit_of_work() as session:
        case = _case(session, case_id)
        session.execute(
            insert(BreakGlassGrant).values(
                case_id=case_id,
                username=actor.username,
                granted_at=now,
                expires_at=until,
                reason=ctx.vault.seal(reason.encode(), reason_binding(case_id)),
            )
        )
        audit.record(session, now, actor.username, "break_glass", case_id, f"until {until.isoformat()}")
        who = _display_name(session, actor.username)
        outbox.enqueue(
            session,
            now,
            dedupe_key=f"break-glass:{case_id}:{actor.username}:{now.isoformat()}",
            kind="break_glass",
            recipient=f"group:{TEAM_LEAD}",
            subject=f"Lotse: Notfallzugriff auf Fall {case.reference}",
            body=(
                f"{who} hat Notfallzugriff auf Fall {case.reference} genommen, gültig bis {until.astimezone(BERLIN):%d.%m.%Y %H:%M} Uhr. "
                "Grund und alle Notfallzugriffe: /verwaltung/notfallzugriffe"
            ),
            case_id=case_id,
        )
        session.commit()
    return until


def list_grants(ctx: EngineContext, actor: Actor, now: datetime | None = None) -> list[GrantEntry]:
    """Every break-glass access, newest first, for team leads only (the listing is audited)."""
    if not actor.is_team_lead:
        raise NotPermitted("break-glass list")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        rows = session.execute(
            select(BreakGlassGrant, Case.reference, Staff.display_name)
            .join(Case, Case.id == BreakGlassGrant.case_id)
            .outerjoin(Staff, Staff.username == BreakGlassGrant.username)
            .order_by(BreakGlassGrant.granted_at.desc(), BreakGlassGrant.id.desc())
            .limit(500)
        ).all()
        audit.record(session, now, actor.username, "break_glass_listed", None, None)
        session.commit()
    return [
        GrantEntry(
            case_id=grant.case_id,
            reference=reference or str(grant.case_id),
            username=grant.username,
            display_name=name or grant.username,
            reason=ctx.vault.open(grant.reason, reason_binding(grant.case_id)).decode()
            if grant.reason
            else "",
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
            active=grant.expires_at > now,
        )
        for grant, reference, name in rows
    ]


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Fall/Case", case_id)
    return case


def _display_name(session: Session, username: str) -> str:
    return session.scalar(select(Staff.display_name).where(Staff.username == username)) or username


def _workers(session: Session, case: Case) -> tuple[tuple[str, ...], tuple[str, ...]]:
    open_tasks = session.execute(
        select(Task.assignee, Task.candidate_group).where(Task.case_id == case.id, Task.status == "open")
    ).all()
    names = sorted({_display_name(session, row.assignee) for row in open_tasks if row.assignee})
    groups = sorted({row.candidate_group for row in open_tasks if row.candidate_group and not row.assignee})
    if not names and not groups:
        names = [_display_name(session, case.opened_by)]
    return tuple(names), tuple(groups)
