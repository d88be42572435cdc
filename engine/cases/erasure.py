"""Art. 17 GDPR: erasure of a case on the person's request, four-eyes.

A team lead asks with a reason; a second team lead confirms, and only then the case's content goes at once,
exactly as the retention purge empties it (``engine.cases.retention.empty_case``): what stays is what the
retention rules keep for statistics. A legal hold refuses both the request and the confirmation. An open
case may be erased too: with the confirmation its workflow instance ends (open tasks leave every inbox,
its timers never fire again, messages about it still waiting in the outbox are dropped) and the case is
closed, in the same transaction that empties it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from engine.cases.need_to_know import require_case_access
from engine.cases.retention import empty_case
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.store.evidence_tables import ErasureRequest
from engine.store.tables import Case

MAX_REASON_CHARS = 2000


class ErasureRefused(DomainError):
    code = "erasure_refused"


@dataclass(frozen=True)
class PendingErasure:
    id: int
    requested_at: datetime
    requested_by: str
    reason: str


def erasure_binding(case_id: int) -> bytes:
    return f"erasure:{case_id}".encode()


def request_erasure(
    ctx: EngineContext, actor: Actor, case_id: int, reason: str, now: datetime | None = None
) -> int:
    if not actor.is_team_lead:
        raise NotPermitted("erasure")
    reason = (reason or "").strip()
    if not reason:
        raise ErasureRefused(
            "Bitte geben Sie an, auf welche Anfrage hin gelöscht werden soll.",
            "Please state the request on which the case is to be erased.",
            field="reason",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ErasureRefused(
            f"Die Begründung ist zu lang (höchstens {MAX_REASON_CHARS} Zeichen).",
            f"The reason is too long (at most {MAX_REASON_CHARS} characters).",
            field="reason",
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        _refuse_unless_erasable(session, case_id)
        if _pending(session, case_id) is not None:
            raise ErasureRefused(
                "Für diesen Fall wartet bereits eine Löschung auf die Bestätigung.",
                "An erasure of this case is already waiting for confirmation.",
            )
        request_id = session.execute(
            insert(ErasureRequest).values(
                case_id=case_id,
                requested_at=now,
                requested_by=actor.username,
                reason=ctx.vault.seal(reason.encode(), erasure_binding(case_id)),
                status="pending",
            )
        ).inserted_primary_key[0]
        audit.record(session, now, actor.username, "erasure_requested", case_id, None)
        session.commit()
    return int(request_id)


def confirm_erasure(ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None) -> None:
    """The second team lead confirms: the content goes now (refused for the requester herself)."""
    if not actor.is_team_lead:
        raise NotPermitted("erasure")
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        pending = _pending(session, case_id)
        if pending is None:
            raise NotFound("Löschanfrage/Erasure request", case_id)
        if pending.requested_by == actor.username:
            raise ErasureRefused(
                "Eine zweite Person muss die Löschung bestätigen (Vier-Augen-Prinzip).",
                "A second person must confirm the erasure (four-eyes principle).",
            )
        _refuse_unless_erasable(session, case_id)
        seen = session.scalar(select(Case.lock_version).where(Case.id == case_id))
    if not empty_case(ctx, case_id, seen, now, actor.username, 0, "erasure:art17", end_open=True):
        raise ErasureRefused(
            "Der Fall wurde inzwischen geändert oder gesperrt; bitte prüfen und erneut bestätigen.",
            "The case was changed or put on hold meanwhile; please check and confirm again.",
        )
    with ctx.unit_of_work() as session:
        session.execute(
            update(ErasureRequest)
            .where(ErasureRequest.id == pending.id)
            .values(status="done", confirmed_at=now, confirmed_by=actor.username)
        )
        audit.record(session, now, actor.username, "erasure_confirmed", case_id, None)
        session.commit()


def pending_erasure(ctx: EngineContext, actor: Actor, case_id: int) -> PendingErasure | None:
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        row = _pending(session, case_id)
        if row is None or row.reason is None:
            return None
        reason = ctx.vault.open(row.reason, erasure_binding(case_id)).decode()
        return PendingErasure(row.id, row.requested_at, row.requested_by, reason)


def _pending(session, case_id: int) -> ErasureRequest | None:
    return session.scalar(
        select(ErasureRequest).where(ErasureRequest.case_id == case_id, ErasureRequest.status == "pending")
    )


def _refuse_unless_erasable(session, case_id: int) -> None:
    hold = session.scalar(select(Case.legal_hold).where(Case.id == case_id))
    if hold:
        raise ErasureRefused(
            "Der Fall steht unter rechtlicher Sperre und darf nicht gelöscht werden.",
            "The case is under legal hold and must not be erased.",
        )
