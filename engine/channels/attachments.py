"""A message's attachments become evidence of the case it is put on: the mail's attachments or the contact
page's screenshots, and the raw e-mail as ``.eml``, each screened by its content like an upload (the same
limits), hashed and sealed, with the intake as who and when and the channel as source. What the evidence
store refuses is listed with its reason on the message, never dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.channels.sealed_message import content_binding, open_document, raw_binding
from engine.evidence.items import store_item
from engine.evidence.previews import thumbnail
from engine.evidence.screening import EvidenceRefused, Screened, screen
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.store.channel_tables import InboundMessage

SOURCES = {"email": "E-Mail", "portal": "Portal", "api": "Portal"}
INTAKE_ACTORS = {"email": "system:mail-intake", "portal": "system:kontakt", "api": "system:kontakt"}
RAW_NAME = "nachricht.eml"
UNREADABLE = ("Die Datei kann nicht geprüft werden.", "The file cannot be checked.")


@dataclass(frozen=True)
class Refusal:
    file_name: str
    german: str
    english: str


@dataclass(frozen=True)
class TakenAttachments:
    items: tuple[int, ...]
    refused: tuple[Refusal, ...]


def attachments_to_evidence(
    ctx: EngineContext,
    session: Session,
    message_id: int,
    case_id: int,
    now: datetime,
    with_raw: bool = True,
) -> TakenAttachments:
    """Store the message's attachments (and, ``with_raw``, its raw form) as evidence of ``case_id`` in the
    caller's transaction; the outcome is kept sealed with the message (``open_document(...)["evidence"]``)."""
    row = session.get(InboundMessage, message_id)
    assert row is not None
    document = open_document(ctx, row)
    files = [
        (meta.get("filename") or "anhang", bytes.fromhex(data))
        for meta, data in zip(
            document.get("attachments", []), document.get("attachment_data", []), strict=False
        )
    ]
    if with_raw and row.sealed_raw is not None:
        files.append((RAW_NAME, ctx.vault.open(row.sealed_raw, raw_binding(row.idempotency_key))))
    items, refused = [], []
    for file_name, data in files:
        try:
            screened, preview = _checked(data)
        except EvidenceRefused as refusal:
            refused.append(Refusal(file_name, refusal.german, refusal.english))
            continue
        except Exception:  # a file no checker can read: refused, and nothing in a message stops the intake
            refused.append(Refusal(file_name, UNREADABLE[0], UNREADABLE[1]))
            continue
        stored = _store(
            ctx, session, row, case_id, file_name, data, screened, preview, document.get("subject", "")
        )
        items.append(stored)
    document["evidence"] = {
        "items": items,
        "refused": [{"file_name": r.file_name, "de": r.german, "en": r.english} for r in refused],
    }
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id)
        .values(sealed=ctx.vault.seal(json.dumps(document).encode(), content_binding(row.idempotency_key)))
    )
    if items:
        audit.record(
            session, now, INTAKE_ACTORS.get(row.channel, "system:mail-intake"), "evidence_added", case_id,
            f"message {message_id}: evidence {', '.join(map(str, items))}",
        )  # fmt: skip
    return TakenAttachments(tuple(items), tuple(refused))


def evidence_outcome(document: dict) -> tuple[int, list[dict]]:
    """How many of a stored message's files became evidence, and the refused ones (name, de, en)."""
    outcome = document.get("evidence") or {}
    return len(outcome.get("items", [])), list(outcome.get("refused", []))


def _checked(data: bytes) -> tuple[Screened, bytes | None]:
    """The file's type by its content and, for an image, its re-encoded thumbnail (EvidenceRefused)."""
    screened = screen(data)
    return screened, thumbnail(data) if screened.is_image else None


def _store(
    ctx: EngineContext,
    session: Session,
    row: InboundMessage,
    case_id: int,
    file_name: str,
    data: bytes,
    screened: Screened,
    preview: bytes | None,
    subject: str,
) -> int:
    source = SOURCES.get(row.channel, "E-Mail")
    details = {
        "platform": "",
        "url": "",
        "profile": "",
        "posted_at": None,
        "captured_at": None,
        "description": f"{source}: {subject}".strip(": ") if subject else source,
        "source": source,
        "message_id": row.id,
    }
    added = (row.received_at, INTAKE_ACTORS.get(row.channel, "system:mail-intake"))
    return store_item(ctx, session, case_id, added, (file_name, data), screened, preview, details)
