"""The sign-in tables: staff sessions kept on the server, and the failed-login counters behind the delays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class StaffSession(Base):
    """One signed-in browser: only the digest of its random token is stored (the token is in the cookie)."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(Instant)
    last_seen_at: Mapped[datetime] = mapped_column(Instant)
    ended_at: Mapped[datetime | None] = mapped_column(Instant)
    # logout, deactivated, password_changed, idle, lifetime, ended_by_person, ended_by_admin, factor_reset
    end_reason: Mapped[str | None] = mapped_column(String(20))
    second_factor_at: Mapped[datetime | None] = mapped_column(Instant)  # None: signed in by password only
    device: Mapped[str | None] = mapped_column(String(200))  # browser and system, from the user agent
    address: Mapped[str | None] = mapped_column(String(64))  # the client address the session started from


class LoginThrottle(Base):
    """Recent failed logins of one account or one client address (both keys are digests, never clear)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failed_at: Mapped[datetime] = mapped_column(Instant)
    last_failed_at: Mapped[datetime] = mapped_column(Instant, index=True)
