"""Login: the password check with growing delays instead of a lock, and the session it starts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.staff import login_throttle as throttle
from engine.staff.accounts import hash_password, member_of, needs_rehash, verify_password
from engine.staff.member import StaffMember
from engine.staff.sessions import open_session
from engine.store.tables import Staff


class LoginRefused(DomainError):
    code = "login_refused"


class LoginDelayed(LoginRefused):
    """Too many recent failures for this account or from this address: try again in ``seconds``."""

    code = "login_delayed"

    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"Zu viele Fehlversuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es dann erneut.",
            f"Too many failed attempts. Please wait {seconds} seconds, then try again.",
            seconds=seconds,
        )
        self.seconds = seconds


@dataclass(frozen=True)
class SignedIn:
    """A successful login: who, and the token of the session it started (for the signed cookie)."""

    member: StaffMember
    token: str


def log_in(
    ctx: EngineContext,
    username: str,
    password: str,
    client: str | None = None,
    now: datetime | None = None,
    device: str | None = None,
    address: str | None = None,
) -> SignedIn:
    """Check a login and start a session. ``client`` is an opaque keyed digest of the client's address
    (delays per address); the password is checked outside the write transaction (argon2 takes a while).
    ``device`` and ``address`` are kept with the session for the person's list of sessions. A hash made
    with older argon2 parameters is replaced by one with the current parameters."""
    now = now or ctx.clock.now()
    account = throttle.account_key(username)
    keys = [account] if client is None else [account, throttle.address_key(client)]
    with ctx.unit_of_work(writes=False) as session:
        wait = throttle.wait_before(session, keys, now)
        staff = None if wait else session.scalar(select(Staff).where(Staff.username == username))
    if wait:
        raise LoginDelayed(math.ceil(wait.total_seconds()))
    matches = verify_password(staff.password_hash if staff is not None else None, password)
    with ctx.unit_of_work() as session:
        if staff is None or not staff.active or not matches:
            throttle.audit_failure(session, now, account, throttle.record_failure(session, keys, now))
            session.commit()
            raise LoginRefused("Benutzername oder Passwort ist falsch.", "Wrong username or password.")
        failed = throttle.forget(session, account)
        token = open_session(session, staff.id, now, device, address)
        values: dict[str, object] = {"last_login_at": now}
        if needs_rehash(staff.password_hash):
            values["password_hash"] = hash_password(password)
        session.execute(update(Staff).where(Staff.id == staff.id).values(**values))
        audit.record(
            session, now, staff.username, "logged_in", None, f"after {failed} failures" if failed else None
        )
        session.commit()
        return SignedIn(member_of(staff), token)
