"""Art. 17 erasure: four-eyes, refused under legal hold, and afterwards exactly what the purge keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.cases.erasure import ErasureRefused, confirm_erasure, pending_erasure, request_erasure
from engine.cases.lifecycle import open_case
from engine.cases.notes import add_note
from engine.cases.retention import purge_expired_cases, set_legal_hold
from engine.evidence.items import EvidenceDetails, attach_evidence
from engine.kernel.actor import Actor
from engine.kernel.errors import NotPermitted
from engine.processes.deployment import deploy_process
from engine.store.evidence_tables import ErasureRequest, EvidenceItem
from engine.store.tables import AuditEvent, Case, CaseNote, CasePurge
from tests import evidence_files as files
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import complete

SECOND_LEAD = Actor("theo", frozenset({"teamleitung", "beratung"}))
CLOSED = datetime(2024, 3, 15, 10, 0, tzinfo=UTC)


def _closed_case(ctx) -> int:
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech", now=CLOSED).case_id
    add_note(ctx, COUNSELLOR, case_id, "Herr Beispiel wurde bedroht.", now=CLOSED)
    details = EvidenceDetails(profile="@beispiel")
    attach_evidence(ctx, COUNSELLOR, case_id, "a.png", files.screenshot_png(), details, now=CLOSED)
    values = {"land": "NW", "amt": "buergermeister", "schilderung": "Drohbrief an Herrn Beispiel"}
    complete(ctx, COUNSELLOR, case_id, "rueckruf", values, now=CLOSED)
    return case_id


def _kept(ctx, case_id: int) -> dict:
    """Everything the case keeps after its content went (compared between erasure and purge)."""
    with ctx.unit_of_work(writes=False) as session:
        case = session.get(Case, case_id)
        evidence = session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case_id)).one()
        return {
            "state": case.state,
            "stats": (case.land, case.office_type, case.contact_channel, case.risk_level, case.status),
            "notes": session.scalar(
                select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case_id)
            ),
            "purged": session.scalar(
                select(func.count()).select_from(CasePurge).where(CasePurge.case_id == case_id)
            ),
            "evidence": (evidence.content, evidence.preview, evidence.details, evidence.media_type),
        }


@pytest.fixture
def erasable(ctx):
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    return _closed_case(ctx), _closed_case(ctx)


def test_erasure_needs_a_second_team_lead_and_then_keeps_exactly_what_the_purge_keeps(ctx, erasable):
    erased, purged = erasable
    with pytest.raises(NotPermitted):
        request_erasure(ctx, COUNSELLOR, erased, "Die Person bittet um Löschung.")
    with pytest.raises(ErasureRefused) as no_reason:
        request_erasure(ctx, TEAM_LEAD, erased, "  ")
    assert no_reason.value.facts["field"] == "reason"
    request_erasure(ctx, TEAM_LEAD, erased, "Die Person bittet per E-Mail um Löschung.")
    assert pending_erasure(ctx, TEAM_LEAD, erased).reason == "Die Person bittet per E-Mail um Löschung."
    with pytest.raises(ErasureRefused) as same_person:
        confirm_erasure(ctx, TEAM_LEAD, erased)
    assert "zweite Person" in same_person.value.message("de")
    assert _kept(ctx, erased)["notes"] == 1, "nothing went before the second person confirmed"

    confirm_erasure(ctx, SECOND_LEAD, erased)
    purge_expired_cases(ctx, datetime(2026, 3, 15, 10, 0, tzinfo=UTC))  # the other case by the rules
    after_erasure, after_purge = _kept(ctx, erased), _kept(ctx, purged)
    assert after_erasure == after_purge
    assert after_erasure["notes"] == 0 and after_erasure["evidence"][:3] == (None, None, None)
    with ctx.unit_of_work(writes=False) as session:
        assert session.scalar(select(ErasureRequest.reason)) is None
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == erased)).all()
    assert {"erasure_requested", "erasure_confirmed", "deleted"} <= set(actions)


def test_a_legal_hold_refuses_the_request_and_the_confirmation(ctx, erasable):
    held, other = erasable
    set_legal_hold(ctx, TEAM_LEAD, held, True, reason="Ermittlungsverfahren")
    with pytest.raises(ErasureRefused) as refused:
        request_erasure(ctx, TEAM_LEAD, held, "Bitte löschen.")
    assert "rechtlicher Sperre" in refused.value.message("de")
    request_erasure(ctx, TEAM_LEAD, other, "Bitte löschen.")
    set_legal_hold(ctx, TEAM_LEAD, other, True, reason="Ermittlungsverfahren")
    with pytest.raises(ErasureRefused):
        confirm_erasure(ctx, SECOND_LEAD, other)
    assert _kept(ctx, other)["notes"] == 1
