"""What a database keeps on disk, as someone with a backup reads it: a real `pg_dump`, or the SQLite files."""

from __future__ import annotations

import glob
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url


def pg_dump_binary() -> str:
    found = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))), None
    )
    if found is None:
        pytest.fail("pg_dump is needed for the cleartext search over a PostgreSQL dump")
    return found


def database_bytes(url: str) -> bytes:
    """A plain-text `pg_dump` of a PostgreSQL database; the bytes of a SQLite file and its write-ahead log."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    dumped = subprocess.run(
        [pg_dump_binary(), "--no-owner", "--dbname", libpq], capture_output=True, check=True, timeout=120
    )
    return dumped.stdout


def found_in(dump: bytes, needles: Iterable[str]) -> list[str]:
    """The needles that occur in the dump (UTF-8, as both databases store text)."""
    return [needle for needle in needles if needle.encode() in dump]
