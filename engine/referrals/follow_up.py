"""Nachfassen: the referrals a follow-up settles, their outcomes, and ``hilfe_angekommen`` from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.referrals.recording import ReferralEntry, ReferralInvalid, case_referrals
from engine.store.case_store import CaseRecord
from engine.store.referral_tables import Referral

FOLLOW_UP = ("reached", "helped", "not_helped")  # what the Nachfassen step settles


def latest_round(entries: Sequence[ReferralEntry]) -> list[ReferralEntry]:
    """The referrals of the most recent Vermittlung: the ones the next Nachfassen settles."""
    if not entries:
        return []
    task_id = entries[-1].task_id
    return [entry for entry in entries if entry.task_id == task_id]


def follow_up_answer(statuses: Sequence[str]) -> str:
    """``hilfe_angekommen`` from the settled referrals: all not helped → nein, all helped → ja, else teilweise."""
    if all(status == "not_helped" for status in statuses):
        return "nein"
    if all(status == "helped" for status in statuses):
        return "ja"
    return "teilweise"


def settle(
    session: Session,
    case: CaseRecord,
    values: dict[str, Any],
    follow_up: Mapping[int, str],
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Store each referral's outcome and answer ``hilfe_angekommen`` from them (no referrals: as typed)."""
    open_round = latest_round(case_referrals(session, case.id))
    if not open_round:
        return values
    errors = {}
    for entry in open_round:
        status = follow_up.get(entry.id)
        if status not in FOLLOW_UP:
            errors[str(entry.id)] = (
                f"{entry.offer_name}: bitte angeben, ob der Kontakt zustande kam und ob er geholfen hat.",
                f"{entry.offer_name}: please say whether contact was made and whether it helped.",
            )
    if errors:
        raise ReferralInvalid(errors)
    for entry in open_round:
        status = follow_up[entry.id]
        if status != entry.status:
            row = session.get(Referral, entry.id)
            row.status = status
            row.updated_at = now
            row.updated_by = actor.username
            audit.record(session, now, actor.username, "referral_updated", case.id, f"R-{entry.id}: {status}")
    return {**values, "hilfe_angekommen": follow_up_answer([follow_up[e.id] for e in open_round])}
