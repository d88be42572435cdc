"""No evidence content in clear on disk: a marker in every evidence field, in the files, in an erasure
reason and in the dossier sent through the outbox appears neither in the SQLite file nor in a pg_dump."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.cases.erasure import request_erasure
from engine.cases.lifecycle import open_case
from engine.evidence.dossier_handover import send_dossier
from engine.evidence.items import EvidenceDetails, attach_evidence
from engine.processes.deployment import deploy_process
from engine.referrals.consent_records import record_consent
from tests import evidence_files as files
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.database_dump import database_bytes, found_in
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import complete

MARKER = "QXZMARKER"


def test_evidence_consent_erasure_and_dossier_leave_no_marker_in_the_database(ctx):
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech").case_id
    details = EvidenceDetails(
        platform=f"Plattform {MARKER}",
        url=f"https://example.org/{MARKER}",
        profile=f"@{MARKER}",
        posted_at=datetime(2026, 5, 30, 19, 0, tzinfo=UTC),
        captured_at=datetime(2026, 6, 1, 7, 0, tzinfo=UTC),
        description=f"Beschreibung {MARKER}",
    )
    attach_evidence(
        ctx, COUNSELLOR, case_id, f"{MARKER}.png", files.screenshot_png(text_chunk=MARKER), details
    )
    attach_evidence(ctx, COUNSELLOR, case_id, f"{MARKER}.txt", f"Drohung {MARKER}".encode(), details)
    attach_evidence(
        ctx, COUNSELLOR, case_id, "mail.eml", files.EML.replace(b"Drohung", MARKER.encode()), details
    )
    record_consent(ctx, COUNSELLOR, case_id, "dossier", "polizei", "telefon")
    send_dossier(ctx, COUNSELLOR, case_id, "polizei", "poststelle@polizei.example")
    complete(
        ctx, COUNSELLOR, case_id, "rueckruf", {"land": "NW", "amt": "buergermeister", "schilderung": "x"}
    )
    request_erasure(ctx, TEAM_LEAD, case_id, f"Anfrage {MARKER}")
    ctx.db.dispose()  # SQLite: everything written is in the file and its log
    dump = database_bytes(ctx.db.url.render_as_string(hide_password=False))
    assert found_in(dump, ["poststelle@polizei.example"]), "the dump is read (the recipient is in clear)"
    assert found_in(dump, [MARKER]) == []
