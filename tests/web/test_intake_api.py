"""POST /api/intake: signed requests open one intake per request id; bad signatures, stale timestamps,
replays and oversize bodies are refused with clear JSON errors."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from engine.channels.triage import triage_queue
from tests.conftest import COUNSELLOR

SECRET = "portal-geheimnis-123"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("LOTSE_PORTAL_SECRETS", f"stark-im-amt:{SECRET}")


def _post(
    client,
    deployed,
    payload: dict | bytes,
    *,
    secret: str = SECRET,
    age: int = 0,
    portal: str = "stark-im-amt",
):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = str(int(deployed.clock.now().timestamp()) - age)
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return (
        client.post(
            "/api/intake",
            data=body,
            content_type="application/json",
            headers={
                "X-Lotse-Portal": portal,
                "X-Lotse-Timestamp": timestamp,
                "X-Lotse-Signature": signature,
            },
        ),
        signature,
        timestamp,
        body,
    )


def test_a_signed_request_opens_one_intake_and_the_same_request_id_again_opens_nothing(deployed, client):
    payload = {"request_id": "r-1", "text": "Drohung im Gemeinderat", "privacy": "anonym"}
    first, *_ = _post(client, deployed, payload)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["status"] == "received"
    deployed.clock.advance(__import__("datetime").timedelta(seconds=5))
    again, *_ = _post(client, deployed, payload)  # a retry: new timestamp, new signature
    assert again.status_code == 200 and again.get_json() == {
        "id": first.get_json()["id"],
        "status": "already_received",
    }
    [entry] = triage_queue(deployed, COUNSELLOR)
    assert entry.channel == "api"


def test_bad_signature_old_timestamp_replay_and_oversize_are_refused_with_json(deployed, client):
    payload = {"request_id": "r-2", "text": "Hallo"}
    bad, *_ = _post(client, deployed, payload, secret="falsch")
    assert (bad.status_code, bad.get_json()["error"]) == (401, "bad_signature")
    old, *_ = _post(client, deployed, payload, age=301)
    assert (old.status_code, old.get_json()["error"]) == (401, "stale_timestamp")
    unknown, *_ = _post(client, deployed, payload, portal="anderes")
    assert (unknown.status_code, unknown.get_json()["error"]) == (401, "unknown_portal")
    ok, signature, timestamp, body = _post(client, deployed, payload)
    assert ok.status_code == 201
    replay = client.post(
        "/api/intake", data=body, content_type="application/json",
        headers={"X-Lotse-Portal": "stark-im-amt", "X-Lotse-Timestamp": timestamp, "X-Lotse-Signature": signature},
    )  # fmt: skip
    assert (replay.status_code, replay.get_json()["error"]) == (409, "replay")
    big, *_ = _post(client, deployed, {"request_id": "r-3", "text": "x" * 70_000})
    assert (big.status_code, big.get_json()["error"]) == (413, "too_large")
    broken, *_ = _post(client, deployed, b"{kein json")
    assert (broken.status_code, broken.get_json()["error"]) == (400, "invalid_json")
    assert "message" in broken.get_json() and len(triage_queue(deployed, COUNSELLOR)) == 1


def test_the_openapi_document_is_shipped(client):
    document = client.get("/api/intake/openapi.yaml")
    assert (
        document.status_code == 200
        and b"/api/intake" in document.data
        and b"X-Lotse-Signature" in document.data
    )
