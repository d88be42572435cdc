"""Overriding the decision table's risk proposal: any change of level needs a reason at the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.bpmn.forms import Message
from engine.cases.assessments import ASSESSMENT_STEPS

LEVEL_FIELD = "risikostufe"
PROPOSAL_VARIABLE = "risikostufe_vorschlag"
REASON_FIELD = "abweichung_begruendung"
NEEDS_REASON: Message = (
    "Sie weichen vom Vorschlag %(proposal)s ab: begründen Sie bitte, warum Sie %(chosen)s wählen.",
    "You depart from the proposal %(proposal)s: please give the reason for choosing %(chosen)s.",
)


def override_errors(
    element_id: str, task_data: Mapping[str, Any], checked: Mapping[str, Any], errors: Mapping[str, Message]
) -> dict[str, Message]:
    """The reason field's error when a confirming step changes the proposed level without a reason."""
    if element_id not in ASSESSMENT_STEPS or REASON_FIELD in errors:
        return {}
    proposal, chosen = task_data.get(PROPOSAL_VARIABLE), checked.get(LEVEL_FIELD)
    if not proposal or not chosen or proposal == chosen or str(checked.get(REASON_FIELD) or "").strip():
        return {}
    german, english = NEEDS_REASON
    values = {"proposal": proposal, "chosen": chosen}
    return {REASON_FIELD: (german % values, english % values)}
