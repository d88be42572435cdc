"""Configuration from the environment, with safe defaults for the embedded set-up under ``instance/``."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from engine.store.vault import new_key_entry


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    keyring: str
    secret_key: str
    land: str
    session_minutes: int

    @classmethod
    def from_environment(cls, instance_path: Path) -> Settings:
        instance_path.mkdir(parents=True, exist_ok=True)
        return cls(
            instance_path=instance_path,
            database_url=os.environ.get("LOTSE_DATABASE_URL") or f"sqlite:///{instance_path / 'lotse.db'}",
            keyring=os.environ.get("LOTSE_KEYS")
            or _local_secret(instance_path / "keys", lambda: new_key_entry("k1")),
            secret_key=os.environ.get("LOTSE_SECRET_KEY")
            or _local_secret(instance_path / "secret_key", lambda: secrets.token_urlsafe(48)),
            land=os.environ.get("LOTSE_LAND", "NW"),
            session_minutes=int(os.environ.get("LOTSE_SESSION_MINUTES", "30")),
        )


def _local_secret(path: Path, make: object) -> str:
    """A secret kept in the instance folder (readable by the owner only), created on first use."""
    if not path.exists():
        value = make()  # type: ignore[operator]
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(value)
    return path.read_text().strip()
