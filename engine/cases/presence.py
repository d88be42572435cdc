"""Which of a case's panels have anything to show, asked together with the case row.

Most cases have no Strafantrag, no evidence, no appointment, no erasure request …: asking each table on
every view of the case page cost a statement (and often a transaction) per panel. The case page reads
these flags in its first statement and skips the panels that are empty. Each flag is true whenever the
panel's own query could find a row (same table, same case; the panel may filter further).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_

from engine.store.access_tables import Appointment
from engine.store.channel_tables import InboundMessage, SentReply
from engine.store.evidence_tables import ConsentRecord, ErasureRequest, EvidenceItem
from engine.store.failure_tables import StepFailure
from engine.store.person_tables import CaseContact, CaseLink, CaseMerge
from engine.store.referral_tables import Referral
from engine.store.tables import CaseNote, RiskAssessmentRow, StrafantragRow


def _rows_of(case_id: Any) -> dict[str, ColumnElement[bool]]:
    return {
        "assessments": RiskAssessmentRow.case_id == case_id,
        "offences": StrafantragRow.case_id == case_id,
        "notes": CaseNote.case_id == case_id,
        "referrals": Referral.case_id == case_id,
        "failures": StepFailure.case_id == case_id,
        "appointments": Appointment.case_id == case_id,
        "messages_in": InboundMessage.case_id == case_id,
        "messages_out": SentReply.case_id == case_id,
        "contacts": CaseContact.case_id == case_id,
        "links": or_(CaseLink.case_id == case_id, CaseLink.other_case_id == case_id),
        "merged": CaseMerge.target_case_id == case_id,
        "evidence": EvidenceItem.case_id == case_id,
        "consents": ConsentRecord.case_id == case_id,
        "erasure": ErasureRequest.case_id == case_id,
    }


PANELS: tuple[str, ...] = tuple(_rows_of(0))


def presence_columns(case_id: Any) -> list[Any]:
    """One boolean column per panel, in ``PANELS`` order, to add to a select of the case row (``case_id``
    may be the case table's id column)."""
    return [exists().where(condition).label(f"has_{panel}") for panel, condition in _rows_of(case_id).items()]


def present_panels(flags: Any) -> frozenset[str]:
    """The panels whose flag came back true, from the flags in ``PANELS`` order."""
    return frozenset(panel for panel, flag in zip(PANELS, flags, strict=True) if flag)
