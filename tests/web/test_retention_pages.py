"""Retention on the case page: a purged case says what happened; team leads set a legal hold."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.cases.retention import purge_expired_cases
from engine.processes.deployment import deploy_process
from engine.store.tables import AuditEvent
from tests.conftest import COUNSELLOR
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import case_row, complete
from tests.web.conftest import csrf_token


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
    assert (
        response.status_code == 410
        and "wurde gelöscht (nach Ablauf der Aufbewahrungsfrist oder auf Antrag der Person)" in page
    )


def _closed_case(ctx) -> int:
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech").case_id
    complete(
        ctx, COUNSELLOR, case_id, "rueckruf", {"land": "NW", "amt": "buergermeister", "schilderung": "x"}
    )
    return case_id


def test_team_lead_sets_a_legal_hold_that_stops_the_purge(app, client, auth, clock):
    ctx = app.extensions["lotse"]
    case_id = _closed_case(ctx)
    auth.login("tara")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    bad = client.post(
        f"/faelle/{case_id}/rechtliche-sperre", data={"hold": "vielleicht", "csrf_token": csrf_token(page)}
    )
    assert bad.status_code == 302 and case_row(ctx, case_id).legal_hold is False
    assert "Ungültige Angabe" in client.get(f"/faelle/{case_id}").get_data(as_text=True)
    asked = client.post(
        f"/faelle/{case_id}/rechtliche-sperre", data={"hold": "ja", "csrf_token": csrf_token(page)}
    )
    confirmation = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Rechtliche Sperre setzen?" in confirmation
    assert 'name="grund"' in confirmation and case_row(ctx, case_id).legal_hold is False
    no_reason = client.post(
        f"/faelle/{case_id}/rechtliche-sperre",
        data={"hold": "ja", "bestaetigt": "ja", "grund": "  ", "csrf_token": csrf_token(page)},
    )
    refused = no_reason.get_data(as_text=True)
    assert (
        no_reason.status_code == 422
        and 'id="grund-error"' in refused
        and "Bitte geben Sie einen Grund an" in refused
    )
    assert case_row(ctx, case_id).legal_hold is False
    response = client.post(
        f"/faelle/{case_id}/rechtliche-sperre",
        data={
            "hold": "ja",
            "bestaetigt": "ja",
            "grund": "Ermittlungsverfahren StA Köln",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302 and case_row(ctx, case_id).legal_hold is True
    with ctx.unit_of_work(writes=False) as session:
        audited = session.scalar(
            select(AuditEvent.detail).where(
                AuditEvent.action == "legal_hold_set", AuditEvent.case_id == case_id
            )
        )
    assert audited.startswith("H-"), "the audit trail names the sealed reason's row, not the reason"
    after = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert 'id="legal-hold-reason"' in after and "Ermittlungsverfahren StA Köln" in after
    assert "Rechtliche Sperre gesetzt" in after and "Rechtliche Sperre aufheben" in after
    report = purge_expired_cases(ctx, clock.now() + timedelta(days=800))
    assert report.purged == [] and len(report.held) == 1
    assert client.get(f"/faelle/{case_id}").status_code == 200


def test_counsellors_cannot_set_a_legal_hold(app, client, auth):
    ctx = app.extensions["lotse"]
    case_id = _closed_case(ctx)
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Rechtliche Sperre setzen" not in page
    response = client.post(
        f"/faelle/{case_id}/rechtliche-sperre", data={"hold": "ja", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 403 and case_row(ctx, case_id).legal_hold is False
