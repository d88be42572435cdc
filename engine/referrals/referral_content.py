"""The sealed part of a referral row: why it was proposed and to whom a warm handover went, one
ciphertext bound to the case."""

from __future__ import annotations

import json

from engine.store.vault import Vault


def referral_binding(case_id: int) -> bytes:
    return f"referral:{case_id}".encode()


def seal_referral(vault: Vault, case_id: int, reason: str, handover_recipient: str | None) -> bytes:
    document = {"reason": reason, "handover_recipient": handover_recipient}
    return vault.seal(json.dumps(document).encode(), referral_binding(case_id))


def open_referral(vault: Vault, case_id: int, sealed: bytes | None) -> tuple[str, str | None]:
    """Reason and handover recipient (VaultError if the key is unknown or the ciphertext altered)."""
    if not sealed:
        return "", None
    document = json.loads(vault.open(sealed, referral_binding(case_id)))
    return document["reason"], document.get("handover_recipient")
