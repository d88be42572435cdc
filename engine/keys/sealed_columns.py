"""Every sealed column in the database, with what binds each of its ciphertexts to its row.

``lotse keys rotate`` walks this list; a test checks that every binary column of the schema is in it,
so a table added later cannot keep values under a key that is about to be retired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table

from engine.cases.appointments import note_binding as appointment_binding
from engine.cases.assessments import assessment_binding
from engine.cases.break_glass import reason_binding as break_glass_binding
from engine.cases.discard import reason_binding as discard_binding
from engine.cases.erasure import erasure_binding
from engine.cases.notes import note_binding
from engine.cases.retention import hold_binding
from engine.channels.mail_intake import content_binding, raw_binding
from engine.channels.replies import reply_binding
from engine.evidence.items import evidence_binding
from engine.kernel.message_content import message_binding
from engine.person.contact_routes import route_binding
from engine.person.contacts_log import contact_binding
from engine.person.privacy import person_binding
from engine.referrals.referral_content import referral_binding
from engine.store.access_tables import Appointment, BreakGlassGrant, CaseDiscard
from engine.store.case_store import binding as case_binding
from engine.store.channel_tables import InboundMessage, SentReply
from engine.store.evidence_tables import ErasureRequest, EvidenceItem, LegalHoldChange
from engine.store.person_tables import CaseContact, CasePerson, ContactRoute
from engine.store.referral_tables import Referral
from engine.store.tables import Case, CaseNote, OutboxMessage, RiskAssessmentRow, Staff, StrafantragRow
from engine.strafantrag.offence_content import offence_binding


@dataclass(frozen=True)
class SealedColumn:
    """One column of ciphertexts: ``binding`` gives a row's associated data from the ``needs`` columns;
    ``lock`` names the row's optimistic-lock column, if it has one (the case state's ``lock_version``)."""

    table: Table
    column: str
    needs: tuple[str, ...]
    binding: Callable[[Any], bytes]
    lock: str | None = None

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"

    @property
    def key(self) -> Column[Any]:
        return self.table.primary_key.columns.values()[0]

    def case_of(self, row: Any) -> int | None:
        """The case a row belongs to, for the error message (None: not a case's row)."""
        if "case_id" in self.needs:
            return row.case_id
        return row.id if self.table.name == "cases" else None


def _by_case(table: Any, column: str, binding: Callable[[int], bytes]) -> SealedColumn:
    return SealedColumn(table.__table__, column, ("case_id",), lambda row: binding(row.case_id))


def _totp_binding(row: Any) -> bytes:
    return f"totp:{row.id}".encode()  # engine.staff.second_factor's binding


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn(Case.__table__, "state", ("id",), lambda row: case_binding(row.id), lock="lock_version"),
    _by_case(CaseNote, "body", note_binding),
    _by_case(RiskAssessmentRow, "sealed", assessment_binding),
    _by_case(StrafantragRow, "sealed", offence_binding),
    _by_case(Referral, "sealed", referral_binding),
    _by_case(BreakGlassGrant, "reason", break_glass_binding),
    _by_case(CaseDiscard, "reason", discard_binding),
    _by_case(Appointment, "note", appointment_binding),
    _by_case(EvidenceItem, "content", evidence_binding),
    _by_case(EvidenceItem, "preview", evidence_binding),
    _by_case(EvidenceItem, "details", evidence_binding),
    _by_case(ErasureRequest, "reason", erasure_binding),
    _by_case(LegalHoldChange, "reason", hold_binding),
    _by_case(CasePerson, "sealed", person_binding),
    _by_case(ContactRoute, "sealed", route_binding),
    _by_case(CaseContact, "sealed", contact_binding),
    _by_case(SentReply, "sealed", reply_binding),
    SealedColumn(
        OutboxMessage.__table__,
        "sealed",
        ("id", "recipient", "case_id"),
        lambda row: message_binding(row.id, row.recipient),
    ),
    SealedColumn(
        InboundMessage.__table__,
        "sealed",
        ("id", "idempotency_key", "case_id"),
        lambda row: content_binding(row.idempotency_key),
    ),
    SealedColumn(
        InboundMessage.__table__,
        "sealed_raw",
        ("id", "idempotency_key", "case_id"),
        lambda row: raw_binding(row.idempotency_key),
    ),
    SealedColumn(
        InboundMessage.__table__,
        "discard_reason",
        ("id", "case_id"),
        lambda row: f"inbound-discard:{row.id}".encode(),  # engine.channels.triage's binding
    ),
    SealedColumn(Staff.__table__, "totp_secret", ("id",), _totp_binding),
)
