"""Need to know: the one place that decides which cases a staff member may see.

Team leads see every case. Everyone else sees a case while they are its assignee or a candidate for one
of its open, unclaimed tasks, and the cases they opened or worked on themselves. A cover sees the cases of
the colleagues they stand in for, on the days of the absence only (``engine.staff.absence``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.kernel.actor import Actor
from engine.kernel.errors import NotFound, OutsideNeedToKnow
from engine.store.tables import Case, Task


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """A condition on ``Case`` that holds exactly for the cases ``actor`` may see."""
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
    return or_(_is_them(Case.opened_by, actor), involved)


def _is_them(column: InstrumentedAttribute[str | None], actor: Actor) -> ColumnElement[bool]:
    """The column names the actor, or an absent colleague the actor covers today (need to know goes with
    the cover for the days of the absence only)."""
    if not actor.covering:
        return column == actor.username
    return column.in_([actor.username, *sorted(actor.covering)])


def visible_case_ids(actor: Actor) -> Select[tuple[int]]:
    return select(Case.id).where(visible_cases(actor))


def require_case_access(session: Session, actor: Actor, case_id: int) -> None:
    """Raise NotFound for an unknown case and OutsideNeedToKnow for a case outside the actor's need to know."""
    if session.scalar(select(Case.id).where(Case.id == case_id)) is None:
        raise NotFound("Fall/Case", case_id)
    allowed = session.scalar(select(exists().where(Case.id == case_id, visible_cases(actor))))
    if not allowed:
        raise OutsideNeedToKnow("view case")
