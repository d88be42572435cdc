"""Signed-in sessions kept on the server: started at login, checked on every request, ended by logout,
deactivation, a password change, inactivity or their absolute lifetime."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BERLIN
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.staff.member import StaffMember
from engine.store.account_tables import Absence
from engine.store.session_tables import StaffSession
from engine.store.tables import Staff

TOKEN_BYTES = 32
# How old the recorded last activity may get before a request records it anew: a minute's precision on
# an idle limit of half an hour is plenty, and most requests then write nothing.
SEEN_PRECISION = timedelta(seconds=60)
# Sessions started longer ago than this are deleted when their person next signs in (all have ended by then).
KEPT = timedelta(days=30)
ENDED = "ended"  # the reason a check gives for a session ended on purpose (logout, deactivation, password)


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may stay unused (idle) and how long it may last at all (lifetime)."""

    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class SessionCheck:
    """What a request's session token stands for: the member, or why not (``ended``: unknown, ended,
    idle, lifetime). ``session_id`` and ``stale`` say whether the activity needs recording."""

    member: StaffMember | None
    ended: str | None = None
    session_id: int | None = None
    stale: bool = False
    second_factor_done: bool = False  # the second factor was given in this session
    enrolled: bool = False  # the person has a second factor set up
    covers: bool = False  # the person stands in for an absent colleague today


def token_digest(token: str) -> str:
    """What the database keeps of a session token: its SHA-256 (the token itself is only in the cookie)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(ctx: EngineContext, staff_id: int, now: datetime | None = None) -> str:
    """A new session for this staff member; returns its random token (to be kept in the signed cookie)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        token = open_session(session, staff_id, now)
        session.commit()
    return token


def open_session(
    session: Session, staff_id: int, now: datetime, device: str | None = None, address: str | None = None
) -> str:
    """Start a session in the caller's unit of work (login does so with its audit); returns the token.
    The person's sessions that started long ago (ended or run out by now) are deleted on the way."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.execute(
        delete(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.started_at < now - KEPT)
    )
    session.execute(
        insert(StaffSession).values(
            token_hash=token_digest(token),
            staff_id=staff_id,
            started_at=now,
            last_seen_at=now,
            device=device[:200] if device else None,
            address=address[:64] if address else None,
        )
    )
    return token


CHECK = (
    select(
        StaffSession.id,
        StaffSession.started_at,
        StaffSession.last_seen_at,
        StaffSession.ended_at,
        StaffSession.second_factor_at,
        Staff.totp_enrolled_at,
        Staff.id,
        Staff.username,
        Staff.display_name,
        Staff.roles,
        Staff.language,
        Staff.active,
        exists()
        .where(
            Absence.cover_id == Staff.id,
            Absence.first_day <= bindparam("day"),
            Absence.last_day >= bindparam("day"),
        )
        .label("covers"),
    )
    .join(Staff, Staff.id == StaffSession.staff_id)
    .where(StaffSession.token_hash == bindparam("digest"))
)


def check_session(connection: Connection, token: str, limits: SessionLimits, now: datetime) -> SessionCheck:
    """The staff member a session token signs in, read in one statement on the caller's connection, or
    why the session no longer counts. Writes nothing (see ``record_activity`` and ``expire_session``)."""
    day = now.astimezone(BERLIN).date()
    found = connection.execute(CHECK, {"digest": token_digest(token), "day": day}).first()
    if found is None:
        return SessionCheck(None, "unknown")
    session_id, started, seen, ended_at, factor_at, enrolled_at, staff_id = found[:7]
    username, display_name, roles, language, active, covers = found[7:]
    if ended_at is not None or not active:
        return SessionCheck(None, ENDED, session_id)
    if now - started >= limits.lifetime:
        return SessionCheck(None, "lifetime", session_id)
    if now - seen > limits.idle:
        return SessionCheck(None, "idle", session_id)
    member = StaffMember(staff_id, username, display_name, frozenset(roles.split()), language)
    return SessionCheck(
        member,
        None,
        session_id,
        stale=now - seen >= SEEN_PRECISION,
        second_factor_done=factor_at is not None,
        enrolled=enrolled_at is not None,
        covers=bool(covers),
    )


def record_activity(ctx: EngineContext, session_id: int, now: datetime | None = None) -> None:
    """Note that the session was used now (callers do so only when ``SessionCheck.stale``)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.id == session_id, StaffSession.ended_at.is_(None))
            .values(last_seen_at=now)
        )
        session.commit()


def expire_session(ctx: EngineContext, session_id: int, reason: str, now: datetime | None = None) -> None:
    """Mark a session that ran out (``idle`` or ``lifetime``) as ended."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.id == session_id, StaffSession.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
        )
        session.commit()


def end_sessions_of(session: Session, staff_id: int, reason: str, now: datetime) -> int:
    """End every open session of a staff member in the caller's unit of work; returns how many."""
    ended = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    return ended.rowcount or 0


def log_out(ctx: EngineContext, token: str, now: datetime | None = None) -> None:
    """Logout: ends every session of the person whose session this is, in every browser."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        found = session.execute(
            select(Staff.id, Staff.username)
            .join(StaffSession, StaffSession.staff_id == Staff.id)
            .where(StaffSession.token_hash == token_digest(token))
        ).first()
        if found is None:
            return
        ended = end_sessions_of(session, found.id, "logout", now)
        audit.record(session, now, found.username, "logged_out", None, f"{ended} sessions")
        session.commit()


def open_sessions(ctx: EngineContext, staff_id: int) -> int:
    """How many sessions of this staff member are not ended (some may have run out unnoticed)."""
    with ctx.unit_of_work(writes=False) as session:
        found = session.scalars(
            select(StaffSession.id).where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
        ).all()
        return len(found)
