"""The timer sweep: fire the due timers of every case, each case in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, literal_column, select, text
from sqlalchemy.orm import Session

from engine.cases.step_failures import FailedStep, StepFailed, run_model_code, stuck_timer_cases
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import ConcurrentUpdate
from engine.store.case_store import (
    RECORD_COLUMNS,
    CaseRecord,
    load_instance,
    record_from_row,
    remember,
    update_case,
)
from engine.store.tables import Case

MAX_FIRINGS_PER_SWEEP = 10
_COLUMNS = [column.expression for column in RECORD_COLUMNS]


@dataclass
class SweepReport:
    fired: int = 0
    conflicts: int = 0
    idle: int = 0
    failed: list[int] = field(default_factory=list)


def sweep_timers(ctx: EngineContext, now: datetime | None = None, limit: int | None = None) -> SweepReport:
    """Advance every open case whose next timer is due at ``now``. Idempotent; safe in parallel."""
    now = now or ctx.clock.now()
    report = SweepReport()
    if not _anything_due(ctx, now):
        return report
    # A case that fired drops out of the query by itself (its next timer moved on), unless a further
    # timer of it is due as well: it may come round again, a few times at most. Only the cases left
    # behind are excluded by id, so the query stays small however many timers fire.
    with ctx.unit_of_work(writes=False) as session:
        skip: set[int] = stuck_timer_cases(session)  # failed on the state they still have
    fired_per_case: dict[int, int] = {}
    conflicts_per_case: dict[int, int] = {}
    while limit is None or report.fired < limit:
        outcome = _sweep_one(ctx, now, skip)
        if outcome is None:
            break
        case_id, result = outcome
        if result == "fired":
            report.fired += 1
            fired_per_case[case_id] = fired_per_case.get(case_id, 0) + 1
            if fired_per_case[case_id] < MAX_FIRINGS_PER_SWEEP:
                continue
        elif result == "conflict":
            report.conflicts += 1
            conflicts_per_case[case_id] = conflicts_per_case.get(case_id, 0) + 1
            if conflicts_per_case[case_id] < 2:
                continue  # the case changed while its step ran: try once more on its new state
        elif result == "idle":
            report.idle += 1
        else:
            report.failed.append(case_id)
        skip.add(case_id)
    return report


# SQLite without statistics prefers the (status, risk_level) index here and sorts every open case on
# each call (75 ms at 10,000 cases instead of microseconds), so the timer index is named there. Its
# partial condition is spelled out literally, as SQLite only uses a partial index it can prove applies.
_SQLITE_DUE = (
    text(
        f"SELECT {', '.join(column.name for column in _COLUMNS)} FROM cases INDEXED BY ix_cases_timer_due "
        "WHERE status = 'open' AND next_timer_at <= :now AND id NOT IN (:skip) "
        "ORDER BY next_timer_at LIMIT 1"
    )
    .bindparams(bindparam("now", type_=Case.next_timer_at.type), bindparam("skip", expanding=True))
    .columns(*_COLUMNS)
)
_SQLITE_ANY_DUE = text(
    "SELECT id FROM cases INDEXED BY ix_cases_timer_due WHERE status = 'open' AND next_timer_at <= :now LIMIT 1"
).bindparams(bindparam("now", type_=Case.next_timer_at.type))
_ANY_DUE = (
    select(Case.id)
    .where(Case.status == literal_column("'open'"), Case.next_timer_at <= bindparam("now"))
    .limit(1)
)


def _anything_due(ctx: EngineContext, now: datetime) -> bool:
    """A plain read, without a unit of work or SQLite's write lock: most sweeps find nothing and stop here."""
    with ctx.db.connect() as connection:
        query = _ANY_DUE if ctx.is_postgres else _SQLITE_ANY_DUE
        return connection.execute(query, {"now": now}).first() is not None


def _due_case(ctx: EngineContext, session: Session, now: datetime, skip: set[int]) -> CaseRecord | None:
    """The case whose timer is due first, read without any lock: the write after its engine step checks
    the lock version, so two sweepers that pick the same case fire its timer once."""
    if not ctx.is_postgres:
        found = session.execute(_SQLITE_DUE, {"now": now, "skip": sorted(skip) or [0]}).first()
        return record_from_row(found) if found is not None else None
    # 'open' as a literal: a prepared (generic) plan can use the partial timer index only then
    query = select(*RECORD_COLUMNS).where(Case.status == literal_column("'open'"), Case.next_timer_at <= now)
    if skip:
        query = query.where(Case.id.not_in(skip))
    row = session.execute(query.order_by(Case.next_timer_at).limit(1)).first()
    return record_from_row(row) if row is not None else None


def _sweep_one(ctx: EngineContext, now: datetime, skip: set[int]) -> tuple[int, str] | None:
    """Evaluate, then write: read the case, run its engine step (model code) outside any transaction,
    then store the result in a short write transaction if nobody changed the case meanwhile."""
    with ctx.unit_of_work(writes=False) as session:
        case = _due_case(ctx, session, now, skip)
        if case is None:
            return None
        instance = load_instance(ctx, session, case)
    where = FailedStep("timer", case.process_version_id, case.id, case.lock_version)
    try:
        fired = run_model_code(ctx, where, instance.process, instance.advance, "system", now)
    except StepFailed:
        return case.id, "failed"  # recorded once; the sweep leaves the case until it moves on or is retried
    if not fired:
        return case.id, "idle"  # nothing was due after all: write nothing
    try:
        with ctx.unit_of_work() as session:
            update_case(ctx, session, case, instance, now)
            audit.record(session, now, "system", "timer_fired", case.id)
            session.commit()
    except ConcurrentUpdate:
        return case.id, "conflict"
    remember(ctx, case, instance)
    return case.id, "fired"
