"""Keep the call: the steps that follow the one a counsellor completes while holding it stay hers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.break_glass import break_glass
from engine.cases.lifecycle import claim_task, open_case, release_task
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.kernel.errors import OutsideNeedToKnow, TaskClaimedByOther
from engine.store.tables import AuditEvent
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.steps import complete, open_tasks


def _call(ctx) -> int:
    """A phone case whose intake the counsellor on the phone holds, as the intake page claims it."""
    case_id = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    claim_task(ctx, COUNSELLOR, open_tasks(ctx, case_id)["eingang"].id)
    return case_id


def test_a_colleague_cannot_claim_the_risk_assessment_mid_call(deployed):
    case_id = _call(deployed)
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    assessment = open_tasks(deployed, case_id)["risikoeinschaetzung"]
    assert assessment.assignee == "anna"
    with pytest.raises(OutsideNeedToKnow):  # ben has no part in the case: refused before anything is said
        claim_task(deployed, OTHER_COUNSELLOR, assessment.id)
    break_glass(deployed, OTHER_COUNSELLOR, case_id, "Die Person ruft ihn direkt an")
    with pytest.raises(TaskClaimedByOther) as refused:  # with access, the step is still hers
        claim_task(deployed, OTHER_COUNSELLOR, assessment.id)
    assert "anna" in refused.value.message("de")
    complete(deployed, COUNSELLOR, case_id, "risikoeinschaetzung", RISIKO_NEUTRAL)  # her submit goes through
    assert open_tasks(deployed, case_id)["risikostufe_bestaetigen"].assignee == "anna"
    with deployed.unit_of_work(writes=False) as session:
        kept = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "task_kept", AuditEvent.case_id == case_id)
        ).all()
    assert kept == ["risikoeinschaetzung", "risikostufe_bestaetigen"]


def test_she_can_release_a_kept_step_and_a_colleague_takes_it(deployed):
    case_id = _call(deployed)
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    assessment = open_tasks(deployed, case_id)["risikoeinschaetzung"]
    release_task(deployed, COUNSELLOR, assessment.id)
    claim_task(deployed, OTHER_COUNSELLOR, assessment.id)
    assert open_tasks(deployed, case_id)["risikoeinschaetzung"].assignee == "ben"


def test_a_step_completed_without_holding_it_leaves_the_next_to_the_group(deployed):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "email"}).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    assert open_tasks(deployed, case_id)["risikoeinschaetzung"].assignee is None


def test_team_lead_tasks_stay_with_the_team(deployed):
    case_id = open_case(deployed, TEAM_LEAD, {"kontaktkanal": "telefon"}).case_id
    claim_task(deployed, TEAM_LEAD, open_tasks(deployed, case_id)["eingang"].id)
    complete(deployed, TEAM_LEAD, case_id, "eingang", EINGANG)
    complete(
        deployed, TEAM_LEAD, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["AKUT"]}
    )
    complete(deployed, TEAM_LEAD, case_id, "risikostufe_bestaetigen", {"risikostufe": "AKUT"})
    tasks = open_tasks(deployed, case_id)
    assert tasks["akut_notruf"].assignee == "tara"
