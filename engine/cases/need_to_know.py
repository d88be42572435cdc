"""Need to know: the one place that decides which cases a staff member may see.

Team leads see every case. Everyone else sees a case while they are its assignee or a candidate for one
of its open, unclaimed tasks, the cases they opened, worked on or wrote a note on themselves, and a case for which they hold
a valid break-glass grant (``engine.cases.break_glass``: audited, with a reason, expiring). A cover sees the
cases of the colleagues they stand in for, on the days of the absence only (``engine.staff.absence``).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.kernel.actor import Actor
from engine.kernel.clock import SESSION_CLOCK, Clock
from engine.kernel.errors import NotFound, OutsideNeedToKnow
from engine.store.access_tables import BreakGlassGrant
from engine.store.tables import Case, CaseNote, Task


def visible_cases(actor: Actor, now: datetime | None = None) -> ColumnElement[bool]:
    """A condition on ``Case`` that holds exactly for the cases ``actor`` may see (grants valid at ``now``)."""
    if actor.is_team_lead:
        return true()
    involved = exists().where(
        Task.case_id == Case.id,
        or_(
            _is_them(Task.assignee, actor),
            _is_them(Task.completed_by, actor),
            (Task.status == "open") & Task.assignee.is_(None) & Task.candidate_group.in_(sorted(actor.groups))
            if actor.groups
            else false(),
        ),
    )
    wrote = exists().where(CaseNote.case_id == Case.id, _is_them(CaseNote.author, actor))
    conditions = [_is_them(Case.opened_by, actor), involved, wrote]
    if now is not None:
        conditions.append(_granted(actor, now))
    return or_(*conditions)


def _is_them(column: InstrumentedAttribute[str | None], actor: Actor) -> ColumnElement[bool]:
    """The column names the actor, or an absent colleague the actor covers today (need to know goes with
    the cover for the days of the absence only)."""
    if not actor.covering:
        return column == actor.username
    return column.in_([actor.username, *sorted(actor.covering)])


def _granted(actor: Actor, now: datetime) -> ColumnElement[bool]:
    return exists().where(
        BreakGlassGrant.case_id == Case.id,
        BreakGlassGrant.username == actor.username,
        BreakGlassGrant.expires_at > now,
    )


def visible_case_ids(actor: Actor, now: datetime | None = None) -> Select[tuple[int]]:
    return select(Case.id).where(visible_cases(actor, now))


def session_now(session: Session) -> datetime | None:
    """The engine clock's time, as the unit of work that opened ``session`` carries it."""
    clock: Clock | None = session.info.get(SESSION_CLOCK)
    return clock.now() if clock is not None else None


# Access granted during one request (a page asks for each of its panels): asked once, remembered until the
# request ends. Only grants are remembered; a refusal is asked again.
_granted_in_request: ContextVar[set[tuple[Actor, int]] | None] = ContextVar("lotse_granted", default=None)


def remember_grants_for_a_request() -> None:
    """From now until :func:`forget_grants` (the web calls both around each request)."""
    _granted_in_request.set(set())


def forget_grants(_error: BaseException | None = None) -> None:
    _granted_in_request.set(None)


def has_case_access(session: Session, actor: Actor, case_id: int) -> bool:
    """Whether ``actor`` may see the case now (NotFound for an unknown case)."""
    granted = _granted_in_request.get()
    if granted is not None and (actor, case_id) in granted:
        return True
    condition = visible_cases(actor, session_now(session))
    row = session.execute(select(Case.id, condition.label("visible")).where(Case.id == case_id)).first()
    if row is None:
        raise NotFound("Fall/Case", case_id)
    if row.visible and granted is not None:
        granted.add((actor, case_id))
    return bool(row.visible)


def require_case_access(session: Session, actor: Actor, case_id: int) -> None:
    """Raise NotFound for an unknown case and OutsideNeedToKnow for a case outside the actor's need to know."""
    if not has_case_access(session, actor, case_id):
        refused = OutsideNeedToKnow("view case")
        refused.facts["case_id"] = case_id
        raise refused
