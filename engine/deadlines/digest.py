"""The daily digest: per staff member on working days, the tasks due today, overdue and escalated.

Only case references and links go out (no case content). One message per person and day, made
unique by its outbox key, so a second run on the same day adds nothing; nothing is sent to someone
with nothing to report or on a day the office is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from engine.calendar.business_calendar import BERLIN
from engine.kernel import outbox
from engine.kernel.context import EngineContext
from engine.staff.cover import covered_by
from engine.store.tables import Case, Staff, Task


@dataclass
class DigestReport:
    working_day: bool
    queued: list[str] = field(default_factory=list)  # usernames
    nothing_to_say: list[str] = field(default_factory=list)
    already_queued: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    case_id: int
    reference: str
    due_at: datetime | None
    escalated: bool


def queue_digests(ctx: EngineContext, now: datetime | None = None) -> DigestReport:
    """Put today's digest of every active staff member with an e-mail address into the outbox.

    Links are paths (``/faelle/12``); delivery makes them absolute.
    """
    now = now or ctx.clock.now()
    today = now.astimezone(BERLIN).date()
    report = DigestReport(working_day=ctx.calendar.is_working_day(today))
    if not report.working_day:
        return report
    end_of_day = datetime.combine(today + timedelta(days=1), time(0), BERLIN)
    with ctx.unit_of_work(writes=False) as session:
        people = session.execute(
            select(Staff.username, Staff.roles)
            .where(Staff.active.is_(True), Staff.email.is_not(None))
            .order_by(Staff.username)
        ).all()
    for person in people:
        key = f"digest:{person.username}:{today.isoformat()}"
        with ctx.unit_of_work() as session:
            groups = person.roles.split()
            whose = [person.username, *sorted(covered_by(session, person.username, today))]  # and the absent
            rows = session.execute(
                select(Task.case_id, Case.reference, Task.due_at, Task.escalation, Case.escalated)
                .join(Case, Case.id == Task.case_id)
                .where(
                    Task.status == "open",
                    or_(
                        Task.assignee.in_(whose),
                        Task.assignee.is_(None) & Task.candidate_group.in_(groups),
                    ),
                    or_(Task.due_at < end_of_day, Task.escalation.is_(True), Case.escalated.is_(True)),
                )
                .order_by(Task.due_at, Case.reference)
            ).all()
            entries = [_Entry(row[0], row[1] or str(row[0]), row[2], bool(row[3] or row[4])) for row in rows]
            if not entries:
                report.nothing_to_say.append(person.username)
                continue
            body = _body(entries, now)
            try:
                added = outbox.enqueue(
                    session,
                    now,
                    dedupe_key=key,
                    kind="digest",
                    recipient=f"staff:{person.username}",
                    subject=f"Lotse: Ihre Aufgaben am {today:%d.%m.%Y}",
                    body=body,
                )
                session.commit()
            except IntegrityError:  # another runner queued it in the meantime
                added = False
        (report.queued if added else report.already_queued).append(person.username)
    return report


def _body(entries: list[_Entry], now: datetime) -> str:
    overdue = [entry for entry in entries if entry.due_at is not None and entry.due_at < now]
    due_today = [entry for entry in entries if entry.due_at is not None and now <= entry.due_at]
    escalated = [entry for entry in entries if entry.escalated]
    lines = ["Guten Morgen,", "", "Ihre Aufgaben in Lotse heute / your tasks in Lotse today:"]
    for title, group in (
        ("Heute fällig / due today", due_today),
        ("Überfällig / overdue", overdue),
        ("Eskaliert / escalated", escalated),
    ):
        if not group:
            continue
        lines += ["", f"{title} ({len(group)}):"]
        lines += [f"- Fall {entry.reference}: /faelle/{entry.case_id}" for entry in group]
    lines += ["", "Diese Nachricht enthält keine Fallinhalte. / This message contains no case content."]
    return "\n".join(lines)
