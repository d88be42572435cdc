"""E-Mail sichten as inbox tasks: every message waiting in triage is a task of the intake group.

A message from the mail intake, the contact page or a portal's API that belongs to no case yet shows in the
task inbox as "E-Mail sichten" (from the contact page or a portal: "Kontaktanfrage sichten") for the
group, claimable and releasable like a step of a case; the triage actions (open a case, add to a case,
discard) end it. The inbox reads these tasks apart from the task projection (which holds only tasks of
cases), in one statement: the counts per tab and the first rows of the tab asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.store.channel_tables import InboundMessage
from engine.store.tables import Staff

INTAKE_GROUPS = frozenset({"beratung", "teamleitung"})
INTAKE_GROUP = "beratung"  # the group the tasks are offered to
STEP = "email_sichten"
TITLES = {
    "email": ("E-Mail sichten", "Review e-mail"),
    "portal": ("Kontaktanfrage sichten", "Review contact request"),
    "api": ("Kontaktanfrage sichten", "Review contact request"),
}
TAB_ROWS = 25  # rows shown on a tab's first page; the rest are on the Posteingang page
WAITING: ColumnElement[bool] = InboundMessage.status == literal_column("'triage'")


class IntakeTaskRefused(DomainError):
    code = "intake_task_refused"


@dataclass(frozen=True)
class IntakeTask:
    message_id: int
    channel: str
    received_at: datetime
    assignee: str | None
    assignee_name: str | None

    def title(self, language: str) -> str:
        german, english = TITLES.get(self.channel, TITLES["email"])
        return english if language == "en" else german


@dataclass(frozen=True)
class IntakeTasks:
    rows: tuple[IntakeTask, ...]
    counts: dict[str, int]  # per inbox tab: mine, groups, all (overdue: none, they have no due date)


NONE = IntakeTasks((), {})


def takes_intake(actor: Actor) -> bool:
    return bool(actor.groups & INTAKE_GROUPS)


def intake_tasks(connection: Connection, actor: Actor, tab: str, with_rows: bool = True) -> IntakeTasks:
    """The counts of the intake tasks per tab and, with ``with_rows``, the oldest rows of ``tab``, in one
    statement; nothing for people who do not sight intake."""
    if not takes_intake(actor):
        return NONE
    statement = _statement(actor.is_team_lead, tab if with_rows else None)
    found = connection.execute(statement, {"username": actor.username}).all()
    first = found[0]._mapping
    counts = {"mine": int(first["mine"] or 0), "groups": int(first["unclaimed"] or 0)}
    if actor.is_team_lead:
        counts["all"] = int(first["waiting"] or 0)
    rows = tuple(
        IntakeTask(row.id, row.channel, row.received_at, row.assignee, row.display_name)
        for row in found
        if row.id is not None
    )
    return IntakeTasks(rows, counts)


_statements: dict[tuple[bool, str | None], Select] = {}


def _statement(team_lead: bool, tab: str | None) -> Select:
    key = (team_lead, tab)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = _build(team_lead, tab)
    return found


def _tab_condition(team_lead: bool, tab: str | None) -> ColumnElement[bool]:
    if tab == "mine":
        return InboundMessage.assignee == bindparam("username")
    if tab == "groups":
        return InboundMessage.assignee.is_(None)
    if tab == "all" and team_lead:
        return true()
    return false()


def _build(team_lead: bool, tab: str | None) -> Select:
    """The counts as one row, joined to the tab's first rows (none: the counts row alone)."""
    mine = InboundMessage.assignee == bindparam("username")
    counts = (
        select(
            func.count(case((mine, 1))).label("mine"),
            func.count(case((InboundMessage.assignee.is_(None), 1))).label("unclaimed"),
            func.count().label("waiting"),
        )
        .where(WAITING)
        .subquery()
    )
    rows = (
        select(InboundMessage.id, InboundMessage.channel, InboundMessage.received_at, InboundMessage.assignee)
        .where(WAITING, _tab_condition(team_lead, tab))
        .order_by(InboundMessage.received_at, InboundMessage.id)
        .limit(TAB_ROWS)
        .subquery()
    )
    return (
        select(counts, rows, Staff.display_name)
        .select_from(counts)
        .outerjoin(rows, true())
        .outerjoin(Staff, Staff.username == rows.c.assignee)
        .order_by(rows.c.received_at, rows.c.id)
    )


def claim_intake(ctx: EngineContext, actor: Actor, message_id: int, now: datetime | None = None) -> None:
    """Take a waiting message's task; refused when someone else has it or it was handled meanwhile."""
    _require(actor)
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        done = session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == message_id, WAITING)
            .where(or_(InboundMessage.assignee.is_(None), InboundMessage.assignee == actor.username))
            .values(assignee=actor.username)
        ).rowcount
        if not done:
            session.rollback()
            raise _why_not(ctx, message_id)
        audit.record(session, now, actor.username, "intake_claimed", None, str(message_id))
        session.commit()


def release_intake(ctx: EngineContext, actor: Actor, message_id: int, now: datetime | None = None) -> None:
    """Give the task back to the group: its holder, or a team lead."""
    _require(actor)
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        query = update(InboundMessage).where(InboundMessage.id == message_id, WAITING)
        if not actor.is_team_lead:
            query = query.where(InboundMessage.assignee == actor.username)
        if not session.execute(query.values(assignee=None)).rowcount:
            session.rollback()
            raise _why_not(ctx, message_id)
        audit.record(session, now, actor.username, "intake_released", None, str(message_id))
        session.commit()


def _require(actor: Actor) -> None:
    if not takes_intake(actor):
        raise NotPermitted("E-Mail sichten")


def _why_not(ctx: EngineContext, message_id: int) -> DomainError:
    with ctx.unit_of_work(writes=False) as session:
        return why_not_free(session, message_id)


def why_not_free(session: Session, message_id: int) -> DomainError:
    """Why a waiting message's task could not be taken, given back or acted on: gone, handled, or held."""
    row = session.get(InboundMessage, message_id)
    if row is None or row.status == "refused":
        return NotFound("Nachricht/Message", message_id)
    if row.status != "triage":
        done_by = row.handled_by or "?"
        return IntakeTaskRefused(
            f"Diese Nachricht wurde schon bearbeitet (von {done_by}).",
            f"This message was already handled (by {done_by}).",
        )
    if row.assignee is None:
        return IntakeTaskRefused("Diese Aufgabe hat niemand übernommen.", "Nobody has claimed this task.")
    holder = session.scalar(select(Staff.display_name).where(Staff.username == row.assignee))
    who = holder or row.assignee
    return IntakeTaskRefused(f"Diese Aufgabe hat {who} übernommen.", f"{who} has claimed this task.")


def free_for(actor: Actor) -> ColumnElement[bool]:
    """Messages the actor may act on: unclaimed or claimed by her (a team lead: any)."""
    if actor.is_team_lead:
        return true()
    return or_(InboundMessage.assignee.is_(None), InboundMessage.assignee == actor.username)
