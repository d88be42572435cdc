"""Step failures ("Störungen"): model code that could not run fails only that case's step.

A use case runs model code outside any write transaction (``engine.cases.stepping``); when the code
breaches its time or memory bound or raises, nothing of the step is written, and this module stores
one record of it (case, element, kind, when, a reference for the log and for people) and logs it.
The same step on the same case state is recorded once: a timer sweep does not retry it until the case
moved on (a person worked on it, or it was migrated to another process version) or a team lead or
process owner asks for a retry.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from engine.bpmn.clock import clock_at
from engine.bpmn.errors import ExecutionError
from engine.bpmn.parsing import ProcessSpec
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.store.failure_tables import StepFailure
from engine.store.tables import Case

log = logging.getLogger("lotse.step_failures")

Step = Literal["task", "opening", "timer", "incident", "strafantrag", "message"]
PROCESS_OWNER = "prozessverantwortung"
WHO_MAY_RETRY = frozenset({"teamleitung", PROCESS_OWNER})

_KIND_TEXTS = {
    "time": ("Modellcode hat die Zeitgrenze überschritten", "model code exceeded its time bound"),
    "memory": ("Modellcode hat die Speichergrenze überschritten", "model code exceeded its memory bound"),
    "error": ("Modellcode ist mit einem Fehler abgebrochen", "model code stopped with an error"),
}


def kind_text(kind: str, language: str = "de") -> str:
    """What went wrong, for people: ``Modellcode hat die Zeitgrenze überschritten``."""
    german, english = _KIND_TEXTS.get(kind, _KIND_TEXTS["error"])
    return german if language == "de" else english


class StepFailed(DomainError):
    """The step could not be carried out: nothing of it was stored, a step failure was recorded."""

    code = "step_failed"

    def __init__(self, reference: str, element_name: str | None, kind: str, case_id: int | None) -> None:
        name = element_name or "?"
        super().__init__(
            f"Störung: Der Schritt »{name}« konnte nicht ausgeführt werden – {kind_text(kind, 'de')}. "
            f"Es wurde nichts gespeichert. Referenz {reference}.",
            f"Failure: the step »{name}« could not be carried out – {kind_text(kind, 'en')}. "
            f"Nothing was saved. Reference {reference}.",
            reference=reference,
            element_name=element_name,
            kind=kind,
            case_id=case_id,
        )


@dataclass(frozen=True)
class FailureView:
    """A recorded step failure as pages show it (no case content)."""

    id: int
    reference: str
    case_id: int | None
    case_reference: str | None
    step: str
    element_name: str | None
    kind: str
    detail: str
    actor: str
    occurred_at: datetime

    def message(self, language: str = "de") -> str:
        name = self.element_name or "?"
        if language == "de":
            return (
                f"Störung: Der Schritt »{name}« konnte nicht ausgeführt werden – {kind_text(self.kind, 'de')}. "
                f"Referenz {self.reference}"
            )
        return (
            f"Failure: the step »{name}« could not be carried out – {kind_text(self.kind, 'en')}. "
            f"Reference {self.reference}"
        )


@dataclass(frozen=True)
class FailedStep:
    """Where a step failed: enough to record it once and to find it again."""

    step: Step
    process_version_id: int
    case_id: int | None = None
    lock_version: int | None = None


T = TypeVar("T")


def run_model_code(
    ctx: EngineContext,
    where: FailedStep,
    process: ProcessSpec,
    action: Callable[[], T],
    actor: str,
    now: datetime,
) -> T:
    """Run an engine step (model code) at ``now``, outside any transaction; if the model code fails,
    record the failure and raise :class:`StepFailed` (the caller writes nothing of the step)."""
    try:
        with clock_at(now):
            return action()
    except ExecutionError as error:
        name = process.element_name(error.element_id)
        raise record_failure(ctx, where, error, name, actor, now) from None


def record_failure(
    ctx: EngineContext,
    where: FailedStep,
    error: ExecutionError,
    element_name: str | None,
    actor: str,
    now: datetime,
) -> StepFailed:
    """Store the failure (once per step and case state) in a short transaction of its own, log it, and
    return the error to raise. Runs after the model code, so no write lock was held while it ran."""
    with ctx.unit_of_work() as session:
        known = session.execute(_same_failure(where, error.element_id)).first()
        if known is not None:
            reference = known.reference
        else:
            reference = secrets.token_hex(4).upper()
            session.add(
                StepFailure(
                    reference=reference,
                    case_id=where.case_id,
                    process_version_id=where.process_version_id,
                    lock_version=where.lock_version,
                    step=where.step,
                    element_id=(error.element_id or "")[:200] or None,
                    element_name=(element_name or "")[:200] or None,
                    kind=error.kind,
                    detail=error.detail[:300],
                    actor=actor[:100],
                    occurred_at=now,
                )
            )
            audit.record(session, now, actor, "step_failed", where.case_id, f"{where.step}:{reference}")
        session.commit()
    log.warning(
        "step failure %s: case %s, %s step at element %s, %s: %s",
        reference,
        where.case_id if where.case_id is not None else "-",
        where.step,
        error.element_id or "-",
        error.kind,
        error.detail,
    )
    return StepFailed(reference, element_name or error.element_id, error.kind, where.case_id)


def _same_failure(where: FailedStep, element_id: str | None):  # type: ignore[no-untyped-def]
    query = select(StepFailure.reference).where(
        StepFailure.resolved_at.is_(None),
        StepFailure.step == where.step,
        StepFailure.process_version_id == where.process_version_id,
    )
    if where.case_id is None:
        return query.where(StepFailure.case_id.is_(None), StepFailure.element_id == element_id).limit(1)
    return query.where(
        StepFailure.case_id == where.case_id, StepFailure.lock_version == where.lock_version
    ).limit(1)


def stuck_timer_cases(session: Session) -> set[int]:
    """Cases whose timer step failed on the state and version they still have: the sweep leaves them."""
    query = (
        select(StepFailure.case_id)
        .join(
            Case,
            and_(
                Case.id == StepFailure.case_id,
                Case.lock_version == StepFailure.lock_version,
                Case.process_version_id == StepFailure.process_version_id,
            ),
        )
        .where(StepFailure.step == "timer", StepFailure.resolved_at.is_(None))
    )
    return {case_id for case_id in session.scalars(query) if case_id is not None}


_VIEW_COLUMNS = (
    StepFailure.id,
    StepFailure.reference,
    StepFailure.case_id,
    Case.reference,
    StepFailure.step,
    StepFailure.element_name,
    StepFailure.kind,
    StepFailure.detail,
    StepFailure.actor,
    StepFailure.occurred_at,
)


def failures_of_case(session: Session, case_id: int) -> list[FailureView]:
    """The unresolved step failures of a case, newest first (its page shows them; access is checked there)."""
    query = (
        select(*_VIEW_COLUMNS)
        .outerjoin(Case, Case.id == StepFailure.case_id)
        .where(StepFailure.case_id == case_id, StepFailure.resolved_at.is_(None))
        .order_by(StepFailure.occurred_at.desc(), StepFailure.id.desc())
    )
    return [FailureView(*row) for row in session.execute(query)]


def open_failures(ctx: EngineContext, actor: Actor, limit: int = 100) -> list[FailureView]:
    """Every unresolved step failure, newest first: for team leads and process owners only."""
    _require_retry_role(actor)
    with ctx.unit_of_work(writes=False) as session:
        query = (
            select(*_VIEW_COLUMNS)
            .outerjoin(Case, Case.id == StepFailure.case_id)
            .where(StepFailure.resolved_at.is_(None))
            .order_by(StepFailure.occurred_at.desc(), StepFailure.id.desc())
            .limit(limit)
        )
        return [FailureView(*row) for row in session.execute(query)]


def retry_step(
    ctx: EngineContext, actor: Actor, failure_id: int, case_id: int | None = None, now: datetime | None = None
) -> FailureView:
    """Mark a failure as handled: a failed timer step is tried again by the next sweep, a failed
    submit or opening by the person doing it again. Team leads and process owners only."""
    _require_retry_role(actor)
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = session.execute(
            select(*_VIEW_COLUMNS)
            .outerjoin(Case, Case.id == StepFailure.case_id)
            .where(StepFailure.id == failure_id, StepFailure.resolved_at.is_(None))
        ).first()
        if row is None or (case_id is not None and row.case_id != case_id):
            raise NotFound("Störung/Failure", failure_id)
        session.execute(
            update(StepFailure)
            .where(StepFailure.id == failure_id)
            .values(resolved_at=now, resolved_by=actor.username)
        )
        audit.record(session, now, actor.username, "step_retried", row.case_id, row.reference)
        session.commit()
    return FailureView(*row)


def may_retry(actor: Actor) -> bool:
    return bool(actor.groups & WHO_MAY_RETRY)


def _require_retry_role(actor: Actor) -> None:
    if not may_retry(actor):
        raise NotPermitted("step failures")
