"""The keyring as text (``LOTSE_KEYS`` or the instance folder's ``keys``): adding a key in front, where it
becomes the active one, and taking a retired one out."""

from __future__ import annotations

from engine.kernel.errors import DomainError
from engine.store.vault import new_key_entry, parse_keyring


class KeyringRefused(DomainError):
    code = "keyring_refused"


def _entries(text: str) -> list[str]:
    return text.replace(",", " ").split()


def with_new_key(text: str, key_id: str) -> str:
    """A fresh 256-bit key named ``key_id`` in front of the others (the active key from now on)."""
    keys, _ = parse_keyring(text)
    if not key_id or ":" in key_id or key_id in keys:
        raise KeyringRefused(
            f"Der Schlüsselname „{key_id}“ ist leer, ungültig oder schon vergeben.",
            f"The key id '{key_id}' is empty, invalid or already taken.",
        )
    return " ".join([new_key_entry(key_id), *_entries(text)])


def without_key(text: str, key_id: str) -> str:
    """The keyring without ``key_id``; the active key and an unknown id are refused."""
    keys, active = parse_keyring(text)
    if key_id not in keys:
        raise KeyringRefused(
            f"Der Schlüssel „{key_id}“ ist nicht im Schlüsselbund.",
            f"The key '{key_id}' is not in the keyring.",
        )
    if key_id == active:
        raise KeyringRefused(
            f"Der Schlüssel „{key_id}“ ist der aktive Schlüssel und kann nicht ausgemustert werden.",
            f"The key '{key_id}' is the active key and cannot be retired.",
        )
    return " ".join(entry for entry in _entries(text) if entry.partition(":")[0] != key_id)
