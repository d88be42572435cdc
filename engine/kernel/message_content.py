"""An outbox message's subject and body at rest: one AES-GCM ciphertext bound to its message and recipient.

A message names case content (a warm handover carries the person's description and how to reach them),
so its subject and body are sealed with the vault when it is queued, opened only by the deliverer, and
dropped once the mail server has taken the message. The binding is the message's row id and its
recipient: a ciphertext copied onto another message, or a message pointed at another address, no
longer opens, so nothing sealed for one recipient can be sent to another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.store.vault import Vault

SESSION_VAULT = "lotse.vault"  # the key under which a unit of work's session carries the vault


@dataclass(frozen=True)
class MessageContent:
    subject: str
    body: str
    to: str = ""  # a person's address, sealed here and never in the row (recipient ``person:CASE``)
    in_reply_to: str = ""  # the Message-ID this answers (threading headers)


def message_binding(message_id: int, recipient: str) -> bytes:
    """Associated data that ties a sealed content to its outbox row and its recipient."""
    return f"outbox:{message_id}:{recipient}".encode()


def seal_content(vault: Vault, message_id: int, recipient: str, content: MessageContent) -> bytes:
    fields = {"subject": content.subject, "body": content.body}
    if content.to or content.in_reply_to:
        fields.update(to=content.to, in_reply_to=content.in_reply_to)
    plaintext = json.dumps(fields, ensure_ascii=False)
    return vault.seal(plaintext.encode(), message_binding(message_id, recipient))


def open_content(vault: Vault, message_id: int, recipient: str, sealed: bytes) -> MessageContent:
    """The clear subject and body (VaultError if the key is unknown or the content not this message's)."""
    fields = json.loads(vault.open(sealed, message_binding(message_id, recipient)))
    return MessageContent(
        fields["subject"], fields["body"], fields.get("to", ""), fields.get("in_reply_to", "")
    )


def session_vault(session: Session) -> Vault:
    """The vault of the unit of work this session belongs to (see ``EngineContext.unit_of_work``)."""
    vault = session.info.get(SESSION_VAULT)
    if not isinstance(vault, Vault):
        raise RuntimeError(
            "Outbox messages are sealed with the engine's vault: queue them in a unit of work."
        )
    return vault
