"""Encryption at rest for case content: AES-256-GCM with the key id inside each ciphertext."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = b"\x01"  # AES-256-GCM, no compression (ciphertext does not compress; plaintext compression costs more than it saves per step)
NONCE_BYTES = 12


class VaultError(Exception):
    """Content that cannot be decrypted: unknown key, tampered data, or data bound to another record.
    ``missing_key`` names the key when the keyring lacks the one that sealed it."""

    def __init__(self, message: str, missing_key: str | None = None) -> None:
        super().__init__(message)
        self.missing_key = missing_key


class Vault:
    """Encrypts with the active key; decrypts with whichever known key a ciphertext names."""

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise VaultError(f"The active key {active!r} is not among the configured keys.")
        for key_id, key in keys.items():
            if len(key) != 32 or not key_id or len(key_id.encode()) > 255:
                raise VaultError(f"Key {key_id!r} must be 32 bytes with a short id.")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active_key = keys[active]
        self.active = active

    def derive_key(self, label: bytes) -> bytes:
        """A 32-byte key of its own for ``label`` (HKDF over the active key): the default where a
        separate key was not configured, e.g. the blind index's in tests."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lotse:" + label).derive(
            self._active_key
        )

    def seal(self, plaintext: bytes, binding: bytes) -> bytes:
        """Encrypt; ``binding`` (e.g. the case id) must be given again to open it."""
        key_id = self.active.encode()
        nonce = os.urandom(NONCE_BYTES)
        body = self._ciphers[self.active].encrypt(nonce, plaintext, binding)
        return FORMAT + bytes([len(key_id)]) + key_id + nonce + body

    def open(self, sealed: bytes, binding: bytes) -> bytes:
        if not sealed or sealed[:1] != FORMAT:
            raise VaultError("Unknown ciphertext format.")
        id_length = sealed[1]
        key_id = sealed[2 : 2 + id_length].decode()
        nonce_start = 2 + id_length
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise VaultError(f"The key {key_id!r} that sealed this record is not configured.", key_id)
        nonce = sealed[nonce_start : nonce_start + NONCE_BYTES]
        try:
            return cipher.decrypt(nonce, sealed[nonce_start + NONCE_BYTES :], binding)
        except InvalidTag as error:
            raise VaultError("The record was altered or belongs to another case.") from error

    @staticmethod
    def key_id_of(sealed: bytes) -> str:
        return sealed[2 : 2 + sealed[1]].decode()


def parse_keyring(text: str) -> tuple[dict[str, bytes], str]:
    """Read ``id:base64key`` entries separated by commas or whitespace; the first entry is active."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for entry in text.replace(",", " ").split():
        key_id, _, encoded = entry.partition(":")
        keys[key_id] = base64.urlsafe_b64decode(encoded.encode())
        order.append(key_id)
    if not order:
        raise VaultError("No encryption key configured (LOTSE_KEYS).")
    return keys, order[0]


def new_key_entry(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()}"
