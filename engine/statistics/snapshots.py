"""Monthly snapshots: the counts of every closed month, stored once, read by reports instead of the cases."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.kernel.context import EngineContext
from engine.statistics.counting import LIVE, Counts, count_span
from engine.statistics.period import BERLIN, month_key, month_of
from engine.store.statistics_tables import StatisticsSnapshot
from engine.store.tables import Case

MARKER = "_snapshot"  # one row per month says the month was taken, even when nothing happened in it


def taken_months(session: Session, months: list[str]) -> set[str]:
    query = select(StatisticsSnapshot.month).where(
        StatisticsSnapshot.figure == MARKER, StatisticsSnapshot.month.in_(months)
    )
    return set(session.scalars(query))


def read_month(session: Session, month: str) -> Counts:
    counts: Counts = {}
    query = select(StatisticsSnapshot.figure, StatisticsSnapshot.key, StatisticsSnapshot.count).where(
        StatisticsSnapshot.month == month, StatisticsSnapshot.figure != MARKER
    )
    for figure, key, count in session.execute(query):
        counts.setdefault(figure, Counter())[key] = count
    return counts


def take_snapshots(ctx: EngineContext, now: datetime) -> list[str]:
    """Snapshot every month that has ended and has no snapshot yet, from the first case on; returns the months."""
    current = month_key(now.astimezone(BERLIN).date())
    taken: list[str] = []
    with ctx.unit_of_work() as session:
        first_opened = session.scalar(select(func.min(Case.opened_at)).where(LIVE))
        if first_opened is None:
            return taken
        months = _months_between(month_key(first_opened.astimezone(BERLIN).date()), current)
        done = taken_months(session, months)
        for month in months:
            if month in done:
                continue
            _store(session, month, count_span(session, ctx.calendar, month_of(month)), now)
            taken.append(month)
        session.commit()
    return taken


def _store(session: Session, month: str, counts: Counts, now: datetime) -> None:
    rows = [
        StatisticsSnapshot(month=month, figure=figure, key=key, count=count, taken_at=now)
        for figure, by_key in counts.items()
        for key, count in by_key.items()
        if count
    ]
    rows.append(StatisticsSnapshot(month=month, figure=MARKER, key="", count=0, taken_at=now))
    session.add_all(rows)


def _months_between(first: str, current: str) -> list[str]:
    """Months from ``first`` up to, not including, ``current``."""
    year, number = int(first[:4]), int(first[5:7])
    months: list[str] = []
    while f"{year:04d}-{number:02d}" < current:
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months
