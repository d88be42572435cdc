"""A new incident on an open case: the model's "Neuer Vorfall" event re-runs the risk assessment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.cases.need_to_know import require_case_access
from engine.cases.step_failures import FailedStep, run_model_code
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import IncidentNotAccepted
from engine.store.case_store import case_record, load_instance, remember, update_case

MESSAGE = "neuer_vorfall"
RESULT_VARIABLE = "vorfall"


@dataclass(frozen=True)
class ReportedIncident:
    lock_version: int
    task_id: str | None  # the first task of the re-assessment, if the model created one


def report_incident(
    ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None
) -> ReportedIncident:
    """Start the re-assessment of an open case.

    The message carries only the current risk level, so the model can tell whether the new one is higher.
    """
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)  # NotFound for an unknown case
        case = case_record(session, case_id)
        if case.status != "open":
            raise IncidentNotAccepted(case.reference or str(case.id), closed=True)
        instance = load_instance(ctx, session, case)
    before = set(instance.ready_at_load)
    where = FailedStep("incident", case.process_version_id, case.id, case.lock_version)

    def step() -> bool:
        if not instance.deliver(MESSAGE, {"risikostufe_bisher": case.risk_level}, RESULT_VARIABLE):
            return False
        instance.advance()
        return True

    # the model code runs outside any transaction; the write after it checks nobody changed the case
    if not run_model_code(ctx, where, instance.process, step, actor.username, now):
        raise IncidentNotAccepted(case.reference or str(case.id), closed=False)
    created = [task.id for task in instance.human_tasks() if task.id not in before]
    with ctx.unit_of_work() as session:
        lock_version = update_case(ctx, session, case, instance, now)
        audit.record(session, now, actor.username, "incident_reported", case.id)
        session.commit()
    remember(ctx, case, instance)
    return ReportedIncident(lock_version, created[0] if created else None)
