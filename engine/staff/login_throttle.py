"""Growing delays after failed logins, per account and per client address, and the audit of a burst.

A wrong password costs nothing the first few times; after that the next attempt for the same account, or
from the same client address, must wait 2, 4, 8 … seconds (capped), and an attempt made earlier is refused
without checking the password. Nothing is ever locked: the owner of an account gets in after at most the
account's cap, from another address at once. Failures are forgotten after a quiet quarter of an hour.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.kernel import audit
from engine.store.session_tables import LoginThrottle

FAILURE_WINDOW = timedelta(minutes=15)  # failures are forgotten this long after the last one
FREE_FAILURES = 3  # mistypes without any delay
ACCOUNT_CAP = timedelta(seconds=30)  # the longest an account's owner waits
ADDRESS_CAP = timedelta(minutes=5)  # the longest one client address waits
AUDITED_EACH = 3  # failures of one account audited one by one; after that a burst row at 10, 100, 1000 …


@dataclass(frozen=True)
class ThrottleKey:
    """What failures are counted by (an account or a client address, as a digest) and its longest delay."""

    key: str
    cap: timedelta


def account_key(username: str) -> ThrottleKey:
    """An account by the name typed (a digest: people type passwords into the name field too)."""
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return ThrottleKey("login:" + digest, ACCOUNT_CAP)


def address_key(client: str) -> ThrottleKey:
    """A client address, given by the caller as an opaque keyed digest; digested once more here."""
    return ThrottleKey("address:" + hashlib.sha256(client.encode()).hexdigest()[:32], ADDRESS_CAP)


def delay(failures: int, cap: timedelta) -> timedelta:
    """How long to wait after this many recent failures: nothing at first, then 2, 4, 8 … seconds."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(cap, timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)))


def wait_before(session: Session, keys: list[ThrottleKey], now: datetime) -> timedelta:
    """How long the next attempt under these keys must still wait (zero: it may be checked now)."""
    caps = {key.key: key.cap for key in keys}
    rows = session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.last_failed_at).where(
            LoginThrottle.key.in_(caps), LoginThrottle.last_failed_at > now - FAILURE_WINDOW
        )
    ).all()
    waits = [last + delay(failures, caps[key]) - now for key, failures, last in rows]
    return max([timedelta(0), *waits])


def record_failure(session: Session, keys: list[ThrottleKey], now: datetime) -> dict[str, int]:
    """Count a failed attempt under each key; returns the recent failures per key, this one included."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_at <= now - FAILURE_WINDOW))
    return {key.key: _count(session, key.key, now) for key in keys}


def _count(session: Session, key: str, now: datetime) -> int:
    """Insert or bump the key's row in one statement (safe with concurrent attempts on both databases)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoginThrottle).values(key=key, failures=1, first_failed_at=now, last_failed_at=now)
    stale = LoginThrottle.last_failed_at <= now - FAILURE_WINDOW
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "failures": case((stale, 1), else_=LoginThrottle.failures + 1),
            "first_failed_at": case((stale, now), else_=LoginThrottle.first_failed_at),
            "last_failed_at": now,
        },
    ).returning(LoginThrottle.failures)
    return session.execute(statement).scalar_one()


def forget(session: Session, key: ThrottleKey) -> int:
    """A successful login clears its account's failures; returns how many there were."""
    failures = session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key.key))
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key.key))
    return failures or 0


def audit_failure(session: Session, now: datetime, account: ThrottleKey, counts: dict[str, int]) -> None:
    """The first few failures of an account one by one, while its address has not failed more often
    either; beyond that one ``login_failed_burst`` row when a key's count reaches 10, 100, 1000 …"""
    if all(count <= AUDITED_EACH for count in counts.values()):
        audit.record(session, now, "anonymous", "login_failed", None, account.key)
    for key, count in counts.items():
        if count >= 10 and str(count).rstrip("0") == "1":
            audit.record(session, now, "anonymous", "login_failed_burst", None, f"{key} {count}")
