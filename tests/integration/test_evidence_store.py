"""Evidence at rest: sealed and bound to its case, and emptied by the retention purge like every content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from engine.cases.lifecycle import open_case
from engine.cases.retention import purge_expired_cases
from engine.evidence.items import EvidenceDetails, attach_evidence, evidence_file, list_evidence
from engine.processes.deployment import deploy_process
from engine.store.evidence_tables import EvidenceItem
from engine.store.vault import VaultError
from tests import evidence_files as files
from tests.conftest import COUNSELLOR
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import complete

CLOSED = datetime(2024, 3, 15, 10, 0, tzinfo=UTC)
DETAILS = EvidenceDetails(platform="Instagram", profile="@beispiel", description="Drohung an Herrn Beispiel")


def _closed_case_with_evidence(ctx) -> int:
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech", now=CLOSED).case_id
    attach_evidence(ctx, COUNSELLOR, case_id, "foto.png", files.screenshot_png(), DETAILS, now=CLOSED)
    values = {"land": "NW", "amt": "buergermeister", "schilderung": "Drohbrief"}
    complete(ctx, COUNSELLOR, case_id, "rueckruf", values, now=CLOSED)
    return case_id


def test_the_purge_empties_file_preview_and_details_and_keeps_type_size_and_date(ctx):
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    case_id = _closed_case_with_evidence(ctx)
    purge_expired_cases(ctx, datetime(2026, 3, 15, 10, 0, tzinfo=UTC))
    with ctx.unit_of_work(writes=False) as session:
        row = session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case_id)).one()
    assert (row.content, row.preview, row.details) == (None, None, None)
    assert row.media_type == "image/png" and row.size > 0 and row.added_at == CLOSED


def test_a_file_moved_to_another_case_cannot_be_opened_there(ctx):
    """The seal is bound to the case: a row copied onto another case fails to open, for that item only."""
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    first = open_case(ctx, COUNSELLOR, process_key="gespraech", now=CLOSED).case_id
    second = open_case(ctx, COUNSELLOR, process_key="gespraech", now=CLOSED).case_id
    moved = attach_evidence(ctx, COUNSELLOR, first, "a.png", files.screenshot_png(), DETAILS, now=CLOSED)
    with ctx.unit_of_work() as session:
        session.execute(update(EvidenceItem).where(EvidenceItem.id == moved).values(case_id=second))
        session.commit()
    with pytest.raises(VaultError):
        evidence_file(ctx, COUNSELLOR, second, moved)
    assert list_evidence(ctx, COUNSELLOR, first) == []
