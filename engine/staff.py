"""Staff accounts: roles, argon2 password hashes."""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine import audit
from engine.context import EngineContext
from engine.errors import DomainError
from engine.models import Staff

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
