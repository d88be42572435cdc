"""After the purge: no per-case row whose Land, office type, month and referral single out fewer than 5 cases.

A purged case keeps its statistical values only in coarsened form. Its values are (Land, office type, month
of opening, referred or not); they are generalised step by step (the office type goes, then the Land, then the
referral) until the combination the case ends up in is shared by at least ``K`` coarsened cases. The month
itself is never generalised: the audit trail and the task history keep their times (the service's
accountability record, append-only), so anyone who can read the rows can read a case's month there; a
coarser period on the case row would protect nothing. A combination that keeps nothing but the month (fewer
than ``K`` purged cases opened in that month) tells no more than the audit trail does. Coarsening is global over all purged cases and runs with the
purge; a case whose months are not all in the monthly statistics snapshots yet (an erasure this month)
waits for a later run, so every report keeps its figures: the snapshots hold the exact counts, and
coarsened cases are left out of live counts (``engine.statistics.counting``).

With the coarsening the case loses what else could single it out: its durations, channels, incident types,
topics and risk level (all of which the snapshots hold), its referral rows (kept as ``ja``/``nein``), the
Land on its tasks and Strafantrag rows; its times move to the start of its period. A case whose every
value but its month had to go says nothing about anyone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.kernel.context import EngineContext
from engine.statistics.period import BERLIN
from engine.statistics.snapshots import MARKER
from engine.store.referral_tables import Referral
from engine.store.statistics_tables import StatisticsSnapshot
from engine.store.tables import Case, CasePurge, StrafantragRow, Task

K = 5  # the smallest number of cases a combination of the kept values may describe
UNKNOWN_PERIOD = ""  # no period kept (no longer written; read for rows coarsened before the month was kept)
NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # the times of a case whose period is unknown

Values = tuple[str | None, str | None, str, str | None]  # Land, office type, period, referral (ja/nein)


@dataclass(frozen=True)
class PurgedCase:
    id: int
    values: Values
    months: frozenset[str]  # the months whose statistics the case's rows fed


def period_of(moment: datetime) -> str:
    return f"{moment.astimezone(BERLIN):%Y-%m}"


def generalised(values: Values, level: int) -> Values:
    """The values at a coarsening level (0 exact … 3 only the month kept)."""
    land, office, period, referral = values
    if level >= 1:
        office = None
    if level >= 2:
        land = None
    if level >= 3:
        referral = None
    return land, office, period, referral


LEVELS = range(4)


def settle(kept: list[Values], waiting: dict[int, Values]) -> dict[int, Values]:
    """The coarsened values for each waiting case: the least general level at which its combination, with
    the cases already coarsened, has at least ``K`` members (the last level takes every case left)."""
    result: dict[int, Values] = {}
    counts = Counter(kept)
    left = dict(waiting)
    for level in LEVELS:
        proposed = {case_id: generalised(values, level) for case_id, values in left.items()}
        sizes = Counter(proposed.values())
        for case_id, values in proposed.items():
            if counts[values] + sizes[values] >= K or level == LEVELS[-1]:
                result[case_id] = values
        for case_id in result:
            if case_id in left:
                counts[result[case_id]] += 1
                del left[case_id]
    return result


def coarsen_purged_cases(ctx: EngineContext) -> int:
    """Coarsen every purged case not coarsened yet whose months are all in the snapshots; the number done."""
    with ctx.unit_of_work() as session:
        kept = [
            (row.land, row.office_type, row.statistics_period, row.statistics_referral or None)
            for row in session.execute(
                select(Case.land, Case.office_type, Case.statistics_period, Case.statistics_referral).where(
                    Case.statistics_period.is_not(None)
                )
            )
        ]
        waiting = _waiting(session)
        taken = set(
            session.scalars(select(StatisticsSnapshot.month).where(StatisticsSnapshot.figure == MARKER))
        )
        ready = {case.id: case.values for case in waiting if case.months <= taken}
        if not ready:
            return 0
        for case_id, values in settle(kept, ready).items():
            _write(session, case_id, values)
        session.commit()
    return len(ready)


def _waiting(session: Session) -> list[PurgedCase]:
    latest_referral = (
        select(Referral.case_id, func.max(Referral.created_at).label("at"), func.count().label("n"))
        .group_by(Referral.case_id)
        .subquery()
    )
    rows = session.execute(
        select(Case.id, Case.land, Case.office_type, Case.opened_at, Case.closed_at, latest_referral.c.at)
        .join(CasePurge, CasePurge.case_id == Case.id)
        .outerjoin(latest_referral, latest_referral.c.case_id == Case.id)
        .where(Case.statistics_period.is_(None))
    ).all()
    cases: list[PurgedCase] = []
    for row in rows:
        last = max(moment for moment in (row.opened_at, row.closed_at, row.at) if moment is not None)
        referral = "ja" if row.at is not None else "nein"
        values = (row.land, row.office_type, period_of(row.opened_at), referral)
        cases.append(
            PurgedCase(row.id, values, frozenset(_months(period_of(row.opened_at), period_of(last))))
        )
    return cases


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def period_start(period: str) -> datetime:
    """The first instant of a kept period (Berlin time), or ``NO_TIME`` when none is kept."""
    if period == UNKNOWN_PERIOD:
        return NO_TIME
    year = int(period[:4])
    month = 1
    if len(period) == 7:
        month = (int(period[6]) - 1) * 3 + 1 if period[5] == "Q" else int(period[5:7])
    return datetime(year, month, 1, tzinfo=BERLIN).astimezone(UTC)


def _write(session: Session, case_id: int, values: Values) -> None:
    land, office, period, referral = values
    start = period_start(period)
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(
            land=land,
            office_type=office,
            statistics_period=period,
            statistics_referral=referral or "",
            opened_at=start,
            closed_at=start,
            updated_at=start,
            first_contact_at=None,
            first_contact_tenths=None,
            first_referral_tenths=None,
            risk_level=None,
            contact_channel=None,
            request_kind=None,
            incident_types=None,
            incident_channel=None,
            request_topics=None,
        )
    )
    session.execute(delete(Referral).where(Referral.case_id == case_id))
    session.execute(update(Task).where(Task.case_id == case_id).values(case_land=land, case_risk_level=None))
    session.execute(update(StrafantragRow).where(StrafantragRow.case_id == case_id).values(land=land or ""))
