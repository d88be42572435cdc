"""Who stands in for whom on a day: the lookups behind absence and cover, used where work is assigned
(task projection, reassignment), where reminders go, and for need to know (``engine.staff.absence``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session, aliased

from engine.calendar.business_calendar import BERLIN
from engine.store.account_tables import Absence
from engine.store.tables import Staff

ABSENT = aliased(Staff)
COVER = aliased(Staff)
# The people a cover stands in for on a day (read on every request of a person who covers someone).
COVERED = (
    select(ABSENT.username)
    .join(Absence, Absence.staff_id == ABSENT.id)
    .join(COVER, COVER.id == Absence.cover_id)
    .where(
        COVER.username == bindparam("cover"),
        Absence.first_day <= bindparam("day"),
        Absence.last_day >= bindparam("day"),
    )
    .order_by(ABSENT.username)
)


def berlin_day(now: datetime) -> date:
    return now.astimezone(BERLIN).date()


def cover_of(session: Session, username: str | None, day: date) -> str | None:
    """Who covers for ``username`` on ``day`` (None when the person is not away)."""
    if username is None:
        return None
    return session.scalar(
        select(COVER.username)
        .join(Absence, Absence.cover_id == COVER.id)
        .join(ABSENT, ABSENT.id == Absence.staff_id)
        .where(ABSENT.username == username, Absence.first_day <= day, Absence.last_day >= day)
        .limit(1)
    )


def covered_by(connection: Connection | Session, cover: str, day: date) -> frozenset[str]:
    """The usernames of the people ``cover`` stands in for on ``day``."""
    return frozenset(connection.execute(COVERED, {"cover": cover, "day": day}).scalars())
