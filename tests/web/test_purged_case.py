"""A purged case's page says what happened instead of failing on the missing content."""

from __future__ import annotations

from datetime import timedelta

from engine.cases import open_case
from engine.processes import deploy_process
from engine.retention import purge_expired_cases
from tests.conftest import COUNSELLOR
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import complete


def test_purged_case_page_is_gone_with_a_reason(app, client, auth, clock):
    ctx = app.extensions["lotse"]
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech").case_id
    complete(
        ctx, COUNSELLOR, case_id, "rueckruf", {"land": "NW", "amt": "buergermeister", "schilderung": "x"}
    )
    auth.login("tara")
    assert client.get(f"/faelle/{case_id}").status_code == 200
    assert purge_expired_cases(ctx, clock.now() + timedelta(days=800)).purged
    response = client.get(f"/faelle/{case_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and "Aufbewahrungsfrist gelöscht" in page
