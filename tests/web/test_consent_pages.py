"""Consent as facts through HTTP: recorded with text version and channel, shown as history, withdrawn;
the dossier goes to the police only while the consent for the police stands, through the outbox."""

from __future__ import annotations

import hashlib
from io import BytesIO

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.store.evidence_tables import ConsentRecord
from engine.store.tables import AuditEvent, OutboxMessage
from tests import evidence_files as files
from tests.conftest import COUNSELLOR
from tests.steps import message_content
from tests.web.conftest import csrf_token


def _token(client, case_id: int) -> str:
    return csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))


def _send(client, case_id: int, recipient: str = "polizei"):
    data = {
        "empfaenger": recipient,
        "adresse": "poststelle@polizei.example",
        "csrf_token": _token(client, case_id),
    }
    return client.post(f"/faelle/{case_id}/beweisdossier/senden", data=data)


def _queued(ctx) -> list[OutboxMessage]:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "dossier_handover")).all()


def test_the_dossier_goes_to_the_police_only_with_the_consent_for_the_police_and_not_after_withdrawal(
    deployed, client, auth
):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    shot = files.screenshot_png()
    token = _token(client, case_id)
    upload = {"csrf_token": token, "datei": (BytesIO(shot), "a.png"), "profil": "@drohkonto"}
    client.post(f"/faelle/{case_id}/beweise", data=upload, content_type="multipart/form-data")

    refused = client.get(_send(client, case_id).headers["Location"]).get_data(as_text=True)
    assert "Ohne Einwilligung der Person" in refused and _queued(deployed) == []

    hateaid = {"gegenstand": "dossier", "empfaenger": "hateaid", "weg": "telefon"}
    client.post(f"/faelle/{case_id}/einwilligungen", data={**hateaid, "csrf_token": _token(client, case_id)})
    _send(client, case_id, "polizei")
    assert _queued(deployed) == [], "a consent for HateAid is no consent for the police"

    police = {"gegenstand": "dossier", "empfaenger": "polizei", "weg": "schriftlich"}
    client.post(f"/faelle/{case_id}/einwilligungen", data={**police, "csrf_token": _token(client, case_id)})
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert 'id="case-consents"' in page and "B-2026-1" in page and "Schriftlich" in page and "Polizei" in page
    sent = client.get(_send(client, case_id).headers["Location"]).get_data(as_text=True)
    assert "wird gesendet" in sent
    (message,) = _queued(deployed)
    assert message.recipient == "poststelle@polizei.example"
    assert hashlib.sha256(shot).hexdigest() in message_content(deployed, message).body

    with deployed.unit_of_work(writes=False) as session:
        consent_id = session.scalar(select(ConsentRecord.id).where(ConsentRecord.recipient == "polizei"))
    client.post(
        f"/faelle/{case_id}/einwilligungen/{consent_id}/widerruf",
        data={"csrf_token": _token(client, case_id)},
    )
    assert "widerrufen am" in client.get(f"/faelle/{case_id}").get_data(as_text=True)
    _send(client, case_id)
    assert len(_queued(deployed)) == 1, "nothing more is sent after the withdrawal"
    with deployed.unit_of_work(writes=False) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.case_id == case_id, AuditEvent.action.like("%consent%")
            )
        ).all()
        sent_audits = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "dossier_sent")
        ).all()
    assert sorted(actions) == ["consent_recorded", "consent_recorded", "consent_withdrawn"]
    assert sent_audits == ["polizei: 1 items"]


def test_a_consent_without_recipient_for_a_dossier_is_refused_with_a_message(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    data = {
        "gegenstand": "dossier",
        "empfaenger": "",
        "weg": "telefon",
        "csrf_token": _token(client, case_id),
    }
    page = client.get(client.post(f"/faelle/{case_id}/einwilligungen", data=data).headers["Location"])
    assert "an wen weitergegeben werden darf" in page.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalars(select(ConsentRecord)).all() == []
