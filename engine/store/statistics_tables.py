"""Monthly statistics snapshots: counts, not rows (migration 0020).

One row per month, figure and key with a count; a report for a closed month reads these instead of the
cases, so the retention purge and erasure can remove per-case data without changing past reports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class StatisticsSnapshot(Base):
    __tablename__ = "statistics_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    figure: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    count: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(Instant)
    __table_args__ = (Index("ix_statistics_snapshots_month", "month", "figure", "key", unique=True),)
