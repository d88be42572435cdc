"""The referral steps of the process: what Vermittlung and Nachfassen do alongside completing their task.

The two BPMN steps stay as modelled: ``vermittlung`` records referrals alongside its form, ``nachfassen``
updates their statuses and its answer ``hilfe_angekommen`` is derived from them (see ``follow_up_answer``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import StepAddition, TaskFacts
from engine.kernel.actor import Actor
from engine.referrals.consent import Choice
from engine.referrals.follow_up import settle
from engine.referrals.recording import record_choices
from engine.store.case_store import CaseRecord

VERMITTLUNG = "vermittlung"
NACHFASSEN = "nachfassen"


def referral_step(
    choices: Sequence[Choice], follow_up: Mapping[int, str], actor: Actor, office: BusinessCalendar
) -> StepAddition:
    """The work the referral steps do alongside completing their task (see ``engine.cases.complete_task``);
    ``office`` measures the working time from the case's opening to each referral for the statistics."""
    return ReferralStep(tuple(choices), dict(follow_up), actor, office)


@dataclass(frozen=True)
class ReferralStep:
    """Referrals chosen at Vermittlung, outcomes given at Nachfassen; other steps have nothing to do here."""

    choices: tuple[Choice, ...]
    follow_up: dict[int, str]
    actor: Actor
    office: BusinessCalendar
    elements: frozenset[str] = frozenset({VERMITTLUNG, NACHFASSEN})

    def __call__(
        self,
        session: Session,
        task: TaskFacts,
        case: CaseRecord,
        instance: Instance,
        values: dict[str, Any],
        now: datetime,
    ) -> Mapping[str, Any]:
        if task.element_id == VERMITTLUNG and self.choices:
            return record_choices(
                session, task, case, instance, values, self.choices, self.actor, now, self.office
            )
        if task.element_id == NACHFASSEN:
            return settle(session, case, values, self.follow_up, self.actor, now)
        return values
