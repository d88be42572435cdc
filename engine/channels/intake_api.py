"""The portal's intake API (``POST /api/intake``): an HMAC-SHA256 signature over ``TIMESTAMP.BODY`` with
the portal's own secret, a timestamp no older than five minutes, each signature accepted once, and the
request id making a retry return the first answer instead of a second intake."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from engine.channels.portal import MAX_TEXT_CHARS, insert_portal_message
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.kernel.numbers import whole_number
from engine.store.channel_tables import ApiIntakeRequest

MAX_AGE_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024


class ApiRefused(DomainError):
    """``status`` is the HTTP status, ``reason`` a stable machine word for the portal's developers."""

    code = "api_refused"

    def __init__(self, status: int, reason: str, german: str, english: str) -> None:
        super().__init__(german, english, reason=reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Accepted:
    message_id: int
    created: bool  # False: the same request id was accepted before


def check_signature(
    secrets: dict[str, str], portal: str, timestamp: str, body: bytes, signature: str, now: datetime
) -> None:
    """Raise ApiRefused unless the signature is the portal's and the timestamp is fresh."""
    if len(body) > MAX_BODY_BYTES:
        raise ApiRefused(413, "too_large", "Die Anfrage ist zu groß.", "The request is too large.")
    secret = secrets.get(portal)
    if secret is None:
        raise ApiRefused(401, "unknown_portal", "Unbekanntes Portal.", "Unknown portal.")
    sent = whole_number(timestamp, 0, 2**40)
    if sent is None or abs(now.timestamp() - sent) > MAX_AGE_SECONDS:
        raise ApiRefused(
            401,
            "stale_timestamp",
            "Der Zeitstempel ist zu alt oder ungültig.",
            "The timestamp is too old or invalid.",
        )
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise ApiRefused(401, "bad_signature", "Die Signatur stimmt nicht.", "The signature does not match.")


def accept_intake(
    ctx: EngineContext, portal: str, body: bytes, signature: str, now: datetime | None = None
) -> Accepted:
    """Store a signed request as an intake to sight (channel Portal); a known request id returns its first answer."""
    now = now or ctx.clock.now()
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise ApiRefused(400, "invalid_json", "Der Inhalt ist kein JSON.", "The body is not JSON.") from error
    request_id, text = payload.get("request_id"), payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(request_id, str) or not 0 < len(request_id) <= 100:
        raise ApiRefused(
            422, "request_id", "request_id fehlt oder ist zu lang.", "request_id is missing or too long."
        )
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        raise ApiRefused(422, "text", "text fehlt oder ist zu lang.", "text is missing or too long.")
    digest = hashlib.sha256(signature.strip().lower().encode()).hexdigest()
    with ctx.unit_of_work() as session:
        known = session.execute(
            select(ApiIntakeRequest.message_id, ApiIntakeRequest.signature_digest).where(
                ApiIntakeRequest.portal == portal, ApiIntakeRequest.request_id == request_id
            )
        ).first()
        if known is not None and known.signature_digest != digest:
            return Accepted(int(known.message_id), False)
        if known is not None:
            raise ApiRefused(
                409, "replay", "Diese Anfrage wurde schon einmal gesendet.", "This request was sent before."
            )
        privacy = "vertraulich" if payload.get("privacy") == "vertraulich" else "anonym"
        contact = str(payload.get("contact") or "")[:200] if privacy == "vertraulich" else ""
        document = {
            "subject": "Portal",
            "from": contact,
            "text": text.strip(),
            "html": "",
            "privacy": privacy,
            "attachments": [],
        }
        message_id = insert_portal_message(ctx, session, document, now, "triage", None, channel="api")
        session.execute(
            insert(ApiIntakeRequest).values(
                portal=portal,
                request_id=request_id,
                signature_digest=digest,
                message_id=message_id,
                received_at=now,
            )
        )
        audit.record(session, now, f"system:api:{portal}"[:100], "message_received", None, "api")
        try:
            session.commit()
        except IntegrityError as error:  # the same request id or signature at the same moment
            raise ApiRefused(
                409, "replay", "Diese Anfrage wurde schon einmal gesendet.", "This request was sent before."
            ) from error
    return Accepted(message_id, True)
