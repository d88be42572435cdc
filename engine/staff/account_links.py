"""Single-use links sent by e-mail: the invitation (a new person sets a password) and the password reset.
Only the SHA-256 of a link's random token is stored; a link expires and works once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.kernel.errors import DomainError
from engine.staff.sessions import token_digest
from engine.store.account_tables import AccountLink
from engine.store.tables import Staff

INVITATION = "invitation"
RESET = "reset"
LIFETIME = {INVITATION: timedelta(days=3), RESET: timedelta(hours=1)}
PATHS = {INVITATION: "/einladung/", RESET: "/passwort/neu/"}


class LinkInvalid(DomainError):
    code = "link_invalid"

    def __init__(self) -> None:
        super().__init__(
            "Dieser Link ist abgelaufen oder wurde schon benutzt. Bitte fordern Sie einen neuen an.",
            "This link has expired or was used already. Please ask for a new one.",
        )


def issue_link(session: Session, staff_id: int, purpose: str, now: datetime) -> str:
    """A new link for this person (earlier unused links of the same purpose stop working); the token."""
    token = secrets.token_urlsafe(32)
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.staff_id == staff_id, AccountLink.purpose == purpose, AccountLink.used_at.is_(None)
        )
        .values(used_at=now)
    )
    session.add(
        AccountLink(
            token_hash=token_digest(token),
            staff_id=staff_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + LIFETIME[purpose],
        )
    )
    session.flush()
    return token


def link_url(base_url: str, purpose: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATHS[purpose]}{token}"


def holder(session: Session, token: str, purpose: str, now: datetime, lock: bool = False) -> Staff:
    """The active person a valid link belongs to (LinkInvalid when unknown, used or expired)."""
    query = (
        select(AccountLink, Staff)
        .join(Staff, Staff.id == AccountLink.staff_id)
        .where(AccountLink.token_hash == token_digest(token), AccountLink.purpose == purpose)
    )
    found = session.execute(query.with_for_update() if lock else query).first()
    if found is None:
        raise LinkInvalid()
    link, staff = found
    if link.used_at is not None or link.expires_at <= now or not staff.active:
        raise LinkInvalid()
    if lock:
        link.used_at = now
    return staff
