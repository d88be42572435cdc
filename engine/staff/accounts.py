"""Staff accounts: roles, argon2 password hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, func, select

from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.store.tables import AuditEvent, Staff

ROLES = ("beratung", "teamleitung", "prozessverantwortung", "administration")
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
    if len(password) < 12:
        raise InvalidStaff(
            "Das Passwort muss mindestens 12 Zeichen haben.", "The password must have at least 12 characters."
        )
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


LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class StaffMember:
    """A staff member as the rest of the system sees them (never the password hash)."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    language: str


class LoginRefused(DomainError):
    code = "login_refused"


def _member(staff: Staff) -> StaffMember:
    return StaffMember(
        staff.id, staff.username, staff.display_name, frozenset(staff.roles.split()), staff.language
    )


SIGNED_IN = select(Staff.id, Staff.username, Staff.display_name, Staff.roles, Staff.language).where(
    Staff.id == bindparam("staff_id"), Staff.active.is_(True)
)


def signed_in_member(connection: Connection, staff_id: int) -> StaffMember | None:
    """The active staff member with this id, read in one statement on the caller's connection (no ORM)."""
    found = connection.execute(SIGNED_IN, {"staff_id": staff_id}).first()
    if found is None:
        return None
    staff_id, username, display_name, roles, language = found
    return StaffMember(staff_id, username, display_name, frozenset(roles.split()), language)


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


def _login_key(username: str) -> str:
    """What the audit keeps of a failed login: a digest, since people type passwords into the name field."""
    return "login:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def authenticate(
    ctx: EngineContext, username: str, password: str, now: datetime | None = None
) -> StaffMember:
    """Check a login; after repeated failures the account is locked for a while. Every attempt is audited."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        failures = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "login_failed",
                AuditEvent.detail == _login_key(username),
                AuditEvent.at > now - LOCKOUT_WINDOW,
            )
        )
        if failures >= LOCKOUT_FAILURES:
            audit.record(session, now, "anonymous", "login_failed", None, _login_key(username))
            session.commit()
            raise LoginRefused(
                "Zu viele Fehlversuche. Bitte warten Sie 15 Minuten oder wenden Sie sich an die Administration.",
                "Too many failed attempts. Please wait 15 minutes or contact an administrator.",
            )
        staff = session.scalar(select(Staff).where(Staff.username == username))
        if staff is None or not staff.active or not password_matches(staff.password_hash, password):
            audit.record(session, now, "anonymous", "login_failed", None, _login_key(username))
            session.commit()
            raise LoginRefused("Benutzername oder Passwort ist falsch.", "Wrong username or password.")
        audit.record(session, now, staff.username, "logged_in")
        session.commit()
        return _member(staff)


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
