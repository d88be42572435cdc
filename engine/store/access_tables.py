"""Access beyond the usual need to know, discarded cases, and agreed callbacks and appointments (migration 0017).

* ``break_glass_grants``: a counsellor's audited, expiring emergency access to a case outside her need to
  know; the reason is content (sealed by the vault, bound to the grant's case).
* ``case_discards``: a case opened by mistake, discarded with a sealed reason; the case row stays (its
  reference is never reused), its status is ``discarded``.
* ``appointments``: a callback or appointment agreed with the person: when, what kind, which channel, who
  agreed it, a sealed note; reminded and escalated like a task's deadline (``engine.cases.appointments``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class BreakGlassGrant(Base):
    __tablename__ = "break_glass_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(Instant)
    expires_at: Mapped[datetime] = mapped_column(Instant)
    reason: Mapped[bytes] = mapped_column(LargeBinary)  # sealed, bound to the case

    __table_args__ = (Index("ix_break_glass_grants_case_user", "case_id", "username", "expires_at"),)


class CaseDiscard(Base):
    __tablename__ = "case_discards"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    discarded_at: Mapped[datetime] = mapped_column(Instant)
    discarded_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[bytes] = mapped_column(LargeBinary)  # sealed, bound to the case


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rueckruf, termin
    channel: Mapped[str] = mapped_column(String(20))  # telefon, video, email, vor_ort
    due_at: Mapped[datetime] = mapped_column(Instant)
    owner: Mapped[str] = mapped_column(String(100))  # the counsellor who agreed it
    note: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed, bound to the case
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, done, cancelled
    created_at: Mapped[datetime] = mapped_column(Instant)
    reminded_at: Mapped[datetime | None] = mapped_column(Instant)
    escalated_at: Mapped[datetime | None] = mapped_column(Instant)
    done_at: Mapped[datetime | None] = mapped_column(Instant)
    done_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index(
            "ix_appointments_open_due",
            "due_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
