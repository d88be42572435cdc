"""Staff accounts: roles, argon2 password hashes, password changes and deactivation (which end sessions)."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.staff.member import StaffMember
from engine.staff.password_policy import check_password
from engine.staff.sessions import end_sessions_of
from engine.store.tables import Staff

ROLES = ("beratung", "teamleitung", "prozessverantwortung", "administration", "berichte")
_hasher = PasswordHasher()


class InvalidStaff(DomainError):
    code = "invalid_staff"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other argon2 parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


_dummy: tuple[PasswordHasher, str] | None = None


def dummy_hash() -> str:
    """A hash of a random password, made once per hasher (so with the same cost as real ones)."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash(secrets.token_urlsafe(24)))
    return _dummy[1]


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password fits the hash. Without a hash (an unknown name) the password is checked
    against a dummy hash all the same, so the time a login takes does not tell names apart."""
    if password_hash is None:
        password_matches(dummy_hash(), password)
        return False
    return password_matches(password_hash, password)


def add_staff(
    ctx: EngineContext,
    actor: str,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    email: str | None = None,
    now: datetime | None = None,
) -> int:
    now = now or ctx.clock.now()
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise InvalidStaff(
            f"Unbekannte Rolle(n): {', '.join(unknown) or '-'}; erlaubt: {', '.join(ROLES)}.",
            f"Unknown role(s): {', '.join(unknown) or '-'}; allowed: {', '.join(ROLES)}.",
        )
    check_password(password, (username, display_name, email))
    with ctx.unit_of_work() as session:
        if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
            raise InvalidStaff(f"{username} existiert bereits.", f"{username} already exists.")
        staff = Staff(
            username=username,
            display_name=display_name,
            email=email,
            password_hash=hash_password(password),
            roles=" ".join(roles),
            created_at=now,
        )
        session.add(staff)
        session.flush()
        audit.record(session, now, actor, "staff_added", None, username)
        session.commit()
        return staff.id


def member_of(staff: Staff) -> StaffMember:
    return StaffMember(
        staff.id, staff.username, staff.display_name, frozenset(staff.roles.split()), staff.language
    )


def staff_names(ctx: EngineContext) -> dict[str, str]:
    """Every staff member's display name by username."""
    with ctx.unit_of_work(writes=False) as session:
        return {
            row.username: row.display_name
            for row in session.execute(select(Staff.username, Staff.display_name))
        }


COLLEAGUES = (
    select(Staff.username, Staff.display_name, Staff.roles)
    .where(Staff.active.is_(True))
    .order_by(Staff.display_name)
)


def active_colleagues(connection: Connection) -> list[tuple[str, str, frozenset[str]]]:
    """The active staff, by display name: (username, display name, roles)."""
    found = connection.execute(COLLEAGUES).all()
    return [(username, name, frozenset(roles.split())) for username, name, roles in found]


def set_language(ctx: EngineContext, staff_id: int, language: str) -> None:
    if language not in ("de", "en"):
        raise ValueError(f"unsupported language {language!r}")
    with ctx.unit_of_work() as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            return
        staff.language = language
        audit.record(session, ctx.clock.now(), staff.username, "language_changed", None, language)
        session.commit()


def _staff_named(session: Session, username: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise InvalidStaff(f"{username} gibt es nicht.", f"There is no {username}.")
    return staff


def change_password(
    ctx: EngineContext, actor: str, username: str, password: str, now: datetime | None = None
) -> None:
    """Set a new password; every session of that person ends (a stolen cookie goes with the old password)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        staff = _staff_named(session, username)
        check_password(password, (username, staff.display_name, staff.email))
        staff.password_hash = hash_password(password)
        ended = end_sessions_of(session, staff.id, "password_changed", now)
        audit.record(session, now, actor, "password_changed", None, f"{username}, {ended} sessions ended")
        session.commit()


def deactivate_staff(ctx: EngineContext, actor: str, username: str, now: datetime | None = None) -> None:
    """Take away a person's access: the account can no longer sign in, and every session ends now."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        staff = _staff_named(session, username)
        staff.active = False
        ended = end_sessions_of(session, staff.id, "deactivated", now)
        audit.record(session, now, actor, "staff_deactivated", None, f"{username}, {ended} sessions ended")
        session.commit()
