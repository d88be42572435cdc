"""Risk assessments as records: each confirmation stores its answers, the decision table's proposal, the
confirmed level, who confirmed it and why it differs. The answers keep the labels they were given, so the
record reads the same after the model changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.bpmn.tasks import CompletedStep, FieldSpec
from engine.kernel.context import EngineContext
from engine.store.tables import RiskAssessmentRow

# confirming step -> the step whose answers it confirms; the second pair is the "Neuer Vorfall" re-assessment
ASSESSMENT_STEPS = {
    "risikostufe_bestaetigen": "risikoeinschaetzung",
    "vorfall_risikostufe_bestaetigen": "vorfall_erfassen",
}
INCIDENT_CONFIRM_STEP = "vorfall_risikostufe_bestaetigen"
# answers of the input step that are not risk questions (the incident's description is a note, not an input)
NOT_AN_INPUT = frozenset({"vorfall_beschreibung"})


@dataclass(frozen=True)
class Answer:
    field: FieldSpec
    value: Any


@dataclass(frozen=True)
class Assessment:
    """One risk assessment: the answers given, the decision table's proposal, the confirmed level."""

    at: datetime | None
    by: str | None
    inputs: tuple[Answer, ...]
    proposal: str | None
    result: str | None
    reason: str | None
    incident: bool = False
    rule: str | None = None

    @property
    def overridden(self) -> bool:
        return self.proposal is not None and self.result is not None and self.proposal != self.result


def answers_of(step: CompletedStep) -> tuple[Answer, ...]:
    return tuple(
        Answer(field, step.data.get(field.id)) for field in step.form.fields if field.id in step.data
    )


def assessment_binding(case_id: int) -> bytes:
    return f"assessment:{case_id}".encode()


def record_assessment(
    ctx: EngineContext,
    session: Session,
    case_id: int,
    instance: Instance,
    task_id: str,
    element_id: str,
    actor: str,
    now: datetime,
) -> bool:
    """Store the assessment a just-completed confirming task made; False if the task confirms none."""
    if element_id not in ASSESSMENT_STEPS:
        return False
    steps = instance.completed_steps()
    position = next((i for i, step in enumerate(steps) if step.id == task_id), None)
    if position is None or steps[position].element_id not in ASSESSMENT_STEPS:
        return False
    confirm = steps[position]
    wanted = ASSESSMENT_STEPS[confirm.element_id]
    source = next((step for step in reversed(steps[:position]) if step.element_id == wanted), None)
    answers = [a for a in answers_of(source) if a.field.id not in NOT_AN_INPUT] if source else []
    proposal = confirm.data.get("risikostufe_vorschlag")
    # what the person assessed: a lowering that waits for a second person is recorded as asked for
    asked = confirm.data.get("risikostufe_beantragt") if confirm.data.get("herabstufung_beantragt") else None
    result = str(asked or confirm.data.get("risikostufe"))
    content = {
        "answers": [_answer_json(answer) for answer in answers],
        "reason": confirm.data.get("abweichung_begruendung") or None,
    }
    session.execute(
        insert(RiskAssessmentRow).values(
            case_id=case_id,
            task_id=task_id,
            assessed_at=now,
            assessed_by=actor,
            incident=confirm.element_id == INCIDENT_CONFIRM_STEP,
            proposal=proposal,
            rule=confirm.data.get("risikoregel"),
            result=result,
            overridden=proposal is not None and proposal != result,
            sealed=ctx.vault.seal(json.dumps(content, default=str).encode(), assessment_binding(case_id)),
        )
    )
    return True


def case_assessments(ctx: EngineContext, session: Session, case_id: int) -> tuple[Assessment, ...]:
    """The case's assessments, newest first."""
    rows = session.scalars(
        select(RiskAssessmentRow)
        .where(RiskAssessmentRow.case_id == case_id)
        .order_by(RiskAssessmentRow.assessed_at.desc(), RiskAssessmentRow.id.desc())
    )
    found = []
    for row in rows:
        content = json.loads(ctx.vault.open(row.sealed, assessment_binding(case_id)))
        found.append(
            Assessment(
                at=row.assessed_at,
                by=row.assessed_by,
                inputs=tuple(_answer_from_json(item) for item in content["answers"]),
                proposal=row.proposal,
                result=row.result,
                reason=content.get("reason"),
                incident=row.incident,
                rule=row.rule,
            )
        )
    return tuple(found)


def _answer_json(answer: Answer) -> dict[str, Any]:
    field = answer.field
    return {
        "id": field.id,
        "type": field.type,
        "label": field.label,
        "options": [list(option) for option in field.options],
        "properties": [list(prop) for prop in field.properties],
        "value": answer.value,
    }


def _answer_from_json(item: dict[str, Any]) -> Answer:
    field = FieldSpec(
        id=item["id"],
        type=item["type"],
        label=item["label"],
        options=tuple(tuple(option) for option in item.get("options", [])),
        properties=tuple(tuple(prop) for prop in item.get("properties", [])),
    )
    return Answer(field, item.get("value"))
