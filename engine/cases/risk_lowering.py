"""Four-eyes for lowering a risk level: when the service wants it (a setting, default on), a level set below
the decision table's proposal waits for a second person or a team lead. Until they decide, the proposed
level and its deadlines apply; the model's step ``herabstufung_bestaetigen`` holds the decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotPermitted
from engine.store.setting_tables import ServiceSettingsRow

LOWERING_STEP = "risikostufe_bestaetigen"
CONFIRMING_STEP = "herabstufung_bestaetigen"
DECISION_FIELD = "herabstufung_entscheidung"
SECOND_PERSON_STEPS = (CONFIRMING_STEP,)  # never kept for, nor offered next to, the person who asked
RANKS = ("INFO", "NIEDRIG", "MITTEL", "HOCH", "AKUT")
ADMINISTRATION = "administration"


class SecondPersonNeeded(NotPermitted):
    """The person who lowered the level may not confirm the lowering themselves."""

    def __init__(self) -> None:
        DomainError.__init__(
            self,
            "Die Herabstufung muss eine zweite Person oder die Teamleitung bestätigen (Vier-Augen-Prinzip).",
            "A second person or a team lead must confirm the lowering (four-eyes principle).",
            action="confirm own lowering",
        )


def four_eyes_for_lowering(session: Session) -> bool:
    row = session.get(ServiceSettingsRow, 1)
    return True if row is None else row.four_eyes_lowering


def change_four_eyes_for_lowering(
    ctx: EngineContext, actor: Actor, on: bool, now: datetime | None = None
) -> bool:
    """Store the setting (administrators only), audited; True if it changed."""
    if ADMINISTRATION not in actor.groups:
        raise NotPermitted("change service settings")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = session.scalar(select(ServiceSettingsRow).with_for_update())
        if (True if row is None else row.four_eyes_lowering) == on:
            return False
        if row is None:
            row = ServiceSettingsRow(id=1)
            session.add(row)
        row.four_eyes_lowering, row.updated_at, row.updated_by = on, now, actor.username
        audit.record(
            session, now, actor.username, "service_settings_changed", None, f"four_eyes_lowering={on}"
        )
        session.commit()
    return True


def lowering_rule(session: Session, actor: Actor, element_id: str, task_data: Mapping[str, Any]) -> bool:
    """Before a step is done: refuse the lowering's confirmation to the person who asked for it; for the
    confirming step of a risk level, whether a lowering must wait for a second person."""
    if element_id == CONFIRMING_STEP and task_data.get("herabstufung_von") == actor.username:
        raise SecondPersonNeeded()
    return element_id == LOWERING_STEP and four_eyes_for_lowering(session)


def lowering_values(
    element_id: str, task_data: Mapping[str, Any], checked: Mapping[str, Any], four_eyes: bool, username: str
) -> dict[str, Any]:
    """What the confirming step hands the process: a lowering below the proposal keeps the proposed level
    (and its deadlines) and asks for the second person's decision."""
    if element_id != LOWERING_STEP:
        return {}
    proposal, chosen = task_data.get("risikostufe_vorschlag"), checked.get("risikostufe")
    lowered = proposal in RANKS and chosen in RANKS and RANKS.index(chosen) < RANKS.index(proposal)
    if not (four_eyes and lowered):
        return {"herabstufung_beantragt": False}
    return {
        "risikostufe": proposal,
        "risikostufe_beantragt": chosen,
        "herabstufung_beantragt": True,
        "herabstufung_von": username,
    }


@dataclass(frozen=True)
class PendingLowering:
    """A lowering that waits for the second person: the level in force, the one asked for, why, by whom."""

    proposal: str | None
    requested: str | None
    reason: str | None
    by: str | None


def pending_lowering(variables: Mapping[str, Any]) -> PendingLowering | None:
    if not variables.get("herabstufung_beantragt"):
        return None
    return PendingLowering(
        variables.get("risikostufe_vorschlag"),
        variables.get("risikostufe_beantragt"),
        variables.get("abweichung_begruendung"),
        variables.get("herabstufung_von"),
    )
