"""Discard a case opened by mistake: only while no step beyond intake was completed; kept for the audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.cases.instance_end import cancel_open_work
from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import ConcurrentUpdate, DomainError
from engine.store.access_tables import CaseDiscard
from engine.store.tables import Case, Task

INTAKE_STEPS = frozenset({"eingang"})  # the steps a case may have behind it and still be discarded
MAX_REASON_CHARS = 500
DISCARDED = "discarded"


class DiscardRefused(DomainError):
    code = "discard_refused"


@dataclass(frozen=True)
class Discardable:
    """Whether the case may be discarded, and if not, the step that stands in the way."""

    reference: str
    allowed: bool
    blocking_step: str | None = None
    status: str = "open"


def reason_binding(case_id: int) -> bytes:
    return f"discard:{case_id}".encode()


def discardable(ctx: EngineContext, actor: Actor, case_id: int) -> Discardable:
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        case = session.get(Case, case_id)
        assert case is not None
        blocking = _blocking_step(session, case_id)
        allowed = blocking is None and case.status == "open"
        return Discardable(case.reference or str(case_id), allowed, blocking, case.status)


def discard_case(
    ctx: EngineContext, actor: Actor, case_id: int, reason: str, now: datetime | None = None
) -> None:
    """Discard the case with a reason: its open tasks and appointments go, its reference stays used."""
    reason = (reason or "").strip()
    if not reason:
        raise DiscardRefused(
            "Bitte geben Sie an, warum der Fall verworfen wird.", "Please say why the case is discarded."
        )
    if len(reason) > MAX_REASON_CHARS:
        raise DiscardRefused(
            f"Der Grund ist zu lang (höchstens {MAX_REASON_CHARS} Zeichen).",
            f"The reason is too long (at most {MAX_REASON_CHARS} characters).",
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        case = session.get(Case, case_id)
        assert case is not None
        _check_discardable(session, case)
        changed = session.execute(
            update(Case)
            .where(Case.id == case_id, Case.lock_version == case.lock_version, Case.status == "open")
            .values(
                status=DISCARDED,
                next_timer_at=None,
                closed_at=now,
                updated_at=now,
                lock_version=case.lock_version + 1,
            )
        )
        if changed.rowcount != 1:
            raise ConcurrentUpdate(case.reference)
        cancel_open_work(session, case_id, now, actor.username)
        session.execute(
            insert(CaseDiscard).values(
                case_id=case_id,
                discarded_at=now,
                discarded_by=actor.username,
                reason=ctx.vault.seal(reason.encode(), reason_binding(case_id)),
            )
        )
        audit.record(session, now, actor.username, "case_discarded", case_id, None)
        session.commit()
    ctx.instances.take(case_id, case.lock_version)  # drop a cached instance of the discarded case


def _blocking_step(session: Session, case_id: int) -> str | None:
    """The title of a completed step beyond intake, if there is one."""
    return session.scalar(
        select(Task.title)
        .where(Task.case_id == case_id, Task.status == "completed", Task.element_id.not_in(INTAKE_STEPS))
        .order_by(Task.completed_at)
        .limit(1)
    )


def _check_discardable(session: Session, case: Case) -> None:
    if case.status != "open":
        raise DiscardRefused(
            f"Fall {case.reference} ist nicht mehr offen und kann nicht verworfen werden.",
            f"Case {case.reference} is no longer open and cannot be discarded.",
        )
    blocking = _blocking_step(session, case.id)
    if blocking is not None:
        raise DiscardRefused(
            f"Fall {case.reference} kann nicht mehr verworfen werden: Der Schritt „{blocking}“ ist bereits "
            "erledigt. Verworfen werden kann nur ein Fall, in dem nach dem Eingang noch nichts erledigt wurde.",
            f"Case {case.reference} can no longer be discarded: the step '{blocking}' has already been "
            "completed. Only a case with nothing completed after intake can be discarded.",
        )
