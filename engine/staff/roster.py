"""The administrators' view of the staff: the list, invitations, roles (which are also the task groups),
deactivation with the hand-back of claimed tasks, reactivation. Every change is audited with who and what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.kernel import audit, outbox
from engine.kernel.context import EngineContext
from engine.staff.account_links import INVITATION, issue_link, link_url
from engine.staff.accounts import ROLES, InvalidStaff
from engine.staff.passwords import invitation_mail
from engine.staff.sessions import end_sessions_of
from engine.store.session_tables import StaffSession
from engine.store.tables import Staff, Task

NO_PASSWORD = "!invited"  # not an argon2 hash: no password matches it until the invitation sets one


@dataclass(frozen=True)
class StaffRow:
    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    active: bool
    last_login_at: datetime | None
    second_factor: bool
    open_sessions: int


@dataclass(frozen=True)
class ClaimedTask:
    """An open task a person has claimed: what happens to it when the person is deactivated."""

    id: str
    title: str
    case_reference: str | None
    candidate_group: str | None


def staff_list(ctx: EngineContext) -> list[StaffRow]:
    with ctx.unit_of_work(writes=False) as session:
        sessions = dict(
            session.execute(
                select(StaffSession.staff_id, func.count())
                .where(StaffSession.ended_at.is_(None))
                .group_by(StaffSession.staff_id)
            ).all()
        )
        return [
            StaffRow(
                staff.username,
                staff.display_name,
                staff.email,
                tuple(staff.roles.split()),
                staff.active,
                staff.last_login_at,
                staff.totp_enrolled_at is not None,
                sessions.get(staff.id, 0),
            )
            for staff in session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.display_name))
        ]


def _check_roles(roles: list[str]) -> None:
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise InvalidStaff(
            "Bitte wählen Sie mindestens eine der angebotenen Rollen.",
            "Please choose at least one of the roles offered.",
        )


def _named(session: Session, username: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise InvalidStaff(f"{username} gibt es nicht.", f"There is no {username}.")
    return staff


def invite_staff(
    ctx: EngineContext,
    actor: str,
    username: str,
    display_name: str,
    email: str,
    roles: list[str],
    base_url: str,
    now: datetime | None = None,
) -> str:
    """Add a person without a password and send an invitation link (set the password, then enrol the
    second factor at the first login). Returns the link's token (for scripts and tests)."""
    now = now or ctx.clock.now()
    username, email = username.strip(), email.strip()
    _check_roles(roles)
    if not username or not display_name.strip() or "@" not in email:
        raise InvalidStaff(
            "Benutzername, Name und eine E-Mail-Adresse sind nötig.",
            "A username, a name and an e-mail address are needed.",
        )
    with ctx.unit_of_work() as session:
        if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
            raise InvalidStaff(f"{username} existiert bereits.", f"{username} already exists.")
        staff = Staff(
            username=username,
            display_name=display_name.strip(),
            email=email,
            password_hash=NO_PASSWORD,
            roles=" ".join(roles),
            created_at=now,
        )
        session.add(staff)
        session.flush()
        token = issue_link(session, staff.id, INVITATION, now)
        subject, body = invitation_mail(staff.display_name, link_url(base_url, INVITATION, token), actor)
        outbox.enqueue(
            session,
            now,
            dedupe_key=f"invitation:{username}:{staff.id}:{now.isoformat()}",
            kind="account",
            recipient=f"staff:{username}",
            subject=subject,
            body=body,
        )
        audit.record(session, now, actor, "staff_invited", None, f"{username} ({' '.join(roles)})")
        session.commit()
        return token


def set_roles(
    ctx: EngineContext, actor: str, username: str, roles: list[str], now: datetime | None = None
) -> None:
    now = now or ctx.clock.now()
    _check_roles(roles)
    if actor == username and "administration" not in roles:
        raise InvalidStaff(
            "Ihre eigene Rolle Administration können Sie nicht abgeben; bitten Sie eine andere "
            "Administratorin oder einen anderen Administrator.",
            "You cannot give up your own administration role; ask another administrator.",
        )
    with ctx.unit_of_work() as session:
        staff = _named(session, username)
        before = staff.roles
        staff.roles = " ".join(role for role in ROLES if role in roles)
        if staff.roles != before:
            audit.record(session, now, actor, "roles_changed", None, f"{username}: {before} → {staff.roles}")
        session.commit()


def claimed_tasks(ctx: EngineContext, username: str) -> list[ClaimedTask]:
    """The open tasks this person has claimed (shown before deactivating)."""
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(Task.id, Task.title, Task.case_reference, Task.candidate_group)
            .where(Task.assignee == username, Task.status == "open")
            .order_by(Task.due_at, Task.created_at)
        ).all()
    return [ClaimedTask(*row) for row in rows]


def deactivate(
    ctx: EngineContext, actor: str, username: str, hand_to: str | None = None, now: datetime | None = None
) -> int:
    """Take away a person's access at once: every session ends, and their claimed tasks go back to their
    groups or to the chosen colleague (who must be active and in each task's group). Returns the number
    of tasks handed back."""
    now = now or ctx.clock.now()
    if actor == username:
        raise InvalidStaff(
            "Sie können Ihr eigenes Konto nicht deaktivieren; bitten Sie eine andere Administratorin oder "
            "einen anderen Administrator.",
            "You cannot deactivate your own account; ask another administrator.",
        )
    with ctx.unit_of_work() as session:
        staff = _named(session, username)
        tasks = session.scalars(select(Task).where(Task.assignee == username, Task.status == "open")).all()
        if hand_to is not None:
            _check_colleague(session, hand_to, username, {task.candidate_group for task in tasks})
        for task in tasks:
            task.assignee = hand_to
            audit.record(
                session, now, actor, "task_reassigned", task.case_id, f"{task.element_id}→{hand_to or '-'}"
            )
        staff.active = False
        ended = end_sessions_of(session, staff.id, "deactivated", now)
        detail = f"{username}, {ended} sessions ended, {len(tasks)} tasks to {hand_to or 'their groups'}"
        audit.record(session, now, actor, "staff_deactivated", None, detail)
        session.commit()
        return len(tasks)


def _check_colleague(session: Session, colleague: str, leaving: str, groups: set[str | None]) -> None:
    roles = session.scalar(select(Staff.roles).where(Staff.username == colleague, Staff.active.is_(True)))
    missing = sorted(group for group in groups if group and roles is not None and group not in roles.split())
    if roles is None or colleague == leaving or missing:
        raise InvalidStaff(
            f"{colleague} kann diese Aufgaben nicht übernehmen (nicht aktiv oder nicht in der Gruppe "
            f"{', '.join(missing) or '-'}).",
            f"{colleague} cannot take these tasks (not active or not in the group {', '.join(missing) or '-'}).",
        )


def reactivate(ctx: EngineContext, actor: str, username: str, now: datetime | None = None) -> None:
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        staff = _named(session, username)
        if not staff.active:
            session.execute(update(Staff).where(Staff.id == staff.id).values(active=True))
            audit.record(session, now, actor, "staff_reactivated", None, username)
        session.commit()


def end_all_sessions(ctx: EngineContext, actor: str, username: str, now: datetime | None = None) -> int:
    """An administrator ends every session of a person (a lost laptop)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        staff = _named(session, username)
        ended = end_sessions_of(session, staff.id, "ended_by_admin", now)
        audit.record(session, now, actor, "session_ended", None, f"{username}: all, {ended}")
        session.commit()
        return ended
