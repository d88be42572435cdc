"""How a stored message is sealed: its document (headers, bodies, attachments) and its raw form, each bound to
the message's idempotency key, and opening the document again."""

from __future__ import annotations

import json

from engine.kernel.context import EngineContext
from engine.store.channel_tables import InboundMessage


def content_binding(key: str) -> bytes:
    return f"inbound:{key}".encode()


def raw_binding(key: str) -> bytes:
    return f"inbound-raw:{key}".encode()


def open_document(ctx: EngineContext, row: InboundMessage) -> dict:
    """The sealed headers, bodies and attachments of a stored message."""
    if row.sealed is None:
        return {}
    return json.loads(ctx.vault.open(row.sealed, content_binding(row.idempotency_key)))
