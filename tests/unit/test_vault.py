"""Encryption at rest: sealed content opens only with its key and its binding; keys rotate."""

from __future__ import annotations

import pytest

from engine.store.vault import Vault, VaultError, new_key_entry, parse_keyring

OLD = {"k1": b"1" * 32}
NEW = {"k2": b"2" * 32, **OLD}


def test_round_trip_and_ciphertext_reveals_nothing():
    vault = Vault(OLD, "k1")
    sealed = vault.seal(b'{"kurzbeschreibung": "Drohung"}', b"case:7")
    assert b"Drohung" not in sealed
    assert vault.open(sealed, b"case:7") == b'{"kurzbeschreibung": "Drohung"}'


def test_same_plaintext_seals_differently():
    vault = Vault(OLD, "k1")
    assert vault.seal(b"x", b"case:1") != vault.seal(b"x", b"case:1")


def test_state_cannot_be_moved_to_another_case():
    vault = Vault(OLD, "k1")
    with pytest.raises(VaultError, match="another case"):
        vault.open(vault.seal(b"x", b"case:1"), b"case:2")


def test_tampering_is_detected():
    vault = Vault(OLD, "k1")
    sealed = bytearray(vault.seal(b"secret", b"case:1"))
    sealed[-1] ^= 1
    with pytest.raises(VaultError):
        vault.open(bytes(sealed), b"case:1")


def test_rotation_keeps_old_records_readable():
    old_record = Vault(OLD, "k1").seal(b"alt", b"case:1")
    rotated = Vault(NEW, "k2")
    fresh = rotated.seal(b"neu", b"case:1")
    assert rotated.open(old_record, b"case:1") == b"alt"
    assert Vault.key_id_of(fresh) == "k2" and Vault.key_id_of(old_record) == "k1"
    with pytest.raises(VaultError, match="not configured"):
        Vault(OLD, "k1").open(fresh, b"case:1")


def test_keyring_parsing_and_bad_keys():
    keys, active = parse_keyring(f"{new_key_entry('a')}, {new_key_entry('b')}")
    assert active == "a" and set(keys) == {"a", "b"}
    with pytest.raises(VaultError):
        parse_keyring("  ")
    with pytest.raises(VaultError):
        Vault({"short": b"123"}, "short")
    with pytest.raises(VaultError):
        Vault(OLD, "missing")
