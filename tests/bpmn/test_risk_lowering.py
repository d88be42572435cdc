"""Lowering the decision table's risk level needs a reason and, when the service wants it (default on),
the confirmation of a second person or a team lead; until then the proposed level's deadlines apply."""

from __future__ import annotations

import pytest

from engine.cases.risk_lowering import SecondPersonNeeded, change_four_eyes_for_lowering
from engine.kernel.actor import Actor
from tests.bpmn.test_fallbearbeitung_paths import LEVEL_ANSWERS, berlin, estimate, start, step
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.steps import case_row, complete, open_tasks, stored_variables

ADMIN = Actor("adele", frozenset({"administration"}))
LOWER = {"risikostufe": "NIEDRIG", "abweichung_begruendung": "Die Person schätzt die Lage ruhig ein."}
HOCH_REFERRAL_DUE = berlin(2026, 6, 2, 16)  # arbeitstage(1) from Monday 1 June, 10:00


def lowered_hoch_case(ctx, clock) -> int:
    case_id = start(ctx, clock)
    estimate(ctx, case_id, LEVEL_ANSWERS["HOCH"])
    complete(ctx, COUNSELLOR, case_id, "risikostufe_bestaetigen", LOWER)
    return case_id


def test_a_lowering_waits_for_a_second_person_with_the_proposed_deadlines(deployed, clock):
    case_id = lowered_hoch_case(deployed, clock)
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"herabstufung_bestaetigen"}  # no referral moved out to the NIEDRIG deadline
    assert tasks["herabstufung_bestaetigen"].due_at == HOCH_REFERRAL_DUE
    assert case_row(deployed, case_id).risk_level == "HOCH"
    variables = stored_variables(deployed, case_id)
    assert (variables["risikostufe"], variables["risikostufe_beantragt"]) == ("HOCH", "NIEDRIG")

    with pytest.raises(SecondPersonNeeded):  # not the person who lowered it
        complete(
            deployed,
            COUNSELLOR,
            case_id,
            "herabstufung_bestaetigen",
            {"herabstufung_entscheidung": "bestaetigt"},
        )

    step(
        deployed,
        clock,
        case_id,
        "herabstufung_bestaetigen",
        {"herabstufung_entscheidung": "bestaetigt"},
        berlin(2026, 6, 2, 10),
        OTHER_COUNSELLOR,
    )
    assert case_row(deployed, case_id).risk_level == "NIEDRIG"
    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    assert vermittlung.due_at > HOCH_REFERRAL_DUE  # the lower level's deadlines apply once confirmed


def test_a_rejected_lowering_keeps_the_proposed_level_and_its_first_deadline(deployed, clock):
    case_id = lowered_hoch_case(deployed, clock)
    step(
        deployed,
        clock,
        case_id,
        "herabstufung_bestaetigen",
        {"herabstufung_entscheidung": "abgelehnt"},
        berlin(2026, 6, 1, 14),
        TEAM_LEAD,
    )
    assert case_row(deployed, case_id).risk_level == "HOCH"
    assert open_tasks(deployed, case_id)["vermittlung"].due_at == HOCH_REFERRAL_DUE


def test_without_the_setting_a_reasoned_lowering_applies_at_once(deployed, clock):
    assert change_four_eyes_for_lowering(deployed, ADMIN, False) is True
    case_id = lowered_hoch_case(deployed, clock)
    assert "herabstufung_bestaetigen" not in open_tasks(deployed, case_id)
    assert case_row(deployed, case_id).risk_level == "NIEDRIG"
    assert open_tasks(deployed, case_id)["vermittlung"].due_at > HOCH_REFERRAL_DUE
