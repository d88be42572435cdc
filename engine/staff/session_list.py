"""A person's own sessions, as they see them (device, address, started, last activity), and ending one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.staff.sessions import SessionLimits, token_digest
from engine.store.session_tables import StaffSession
from engine.store.tables import Staff


@dataclass(frozen=True)
class ListedSession:
    id: int
    device: str | None
    address: str | None
    started_at: datetime
    last_seen_at: datetime
    current: bool  # the session this list is shown in


def sessions_of(
    ctx: EngineContext, staff_id: int, current_token: str, limits: SessionLimits, now: datetime | None = None
) -> list[ListedSession]:
    """The person's sessions that still count (not ended, not run out), the latest activity first."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(
            select(StaffSession)
            .where(
                StaffSession.staff_id == staff_id,
                StaffSession.ended_at.is_(None),
                StaffSession.started_at > now - limits.lifetime,
                StaffSession.last_seen_at >= now - limits.idle,
            )
            .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
        ).all()
        current = token_digest(current_token)
        return [
            ListedSession(
                row.id, row.device, row.address, row.started_at, row.last_seen_at, row.token_hash == current
            )
            for row in rows
        ]


def end_own_session(ctx: EngineContext, staff_id: int, session_id: int, now: datetime | None = None) -> bool:
    """End one of the person's own sessions (another person's id changes nothing); whether one ended."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        ended = session.execute(
            update(StaffSession)
            .where(
                StaffSession.id == session_id,
                StaffSession.staff_id == staff_id,
                StaffSession.ended_at.is_(None),
            )
            .values(ended_at=now, end_reason="ended_by_person")
        ).rowcount
        if ended:
            username = session.scalar(select(Staff.username).where(Staff.id == staff_id))
            audit.record(session, now, username or "-", "session_ended", None, f"own session {session_id}")
        session.commit()
        return bool(ended)
