"""No case content in clear at rest after a warm handover: a marker search over a real `pg_dump` of the
PostgreSQL database and over the bytes of the SQLite file (with its write-ahead log)."""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from engine.directory.search import search_offers
from tests.conftest import COUNSELLOR
from tests.steps import case_at_vermittlung, open_tasks, task_id_for
from tests.web.conftest import csrf_token

MARKER = "Markertext-Qz7Wk4 Drohbrief am Gartentor"
PHONE = "0171 5550199 83"
DESCRIPTION = f"{MARKER}; die Person ist unter {PHONE} erreichbar"
CONTACT = f"Tel {PHONE}"


def pg_dump_binary() -> str:
    found = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))), None
    )
    if found is None:
        pytest.fail("pg_dump is needed for the cleartext search over a PostgreSQL dump")
    return found


def database_bytes(url: str) -> bytes:
    """Everything the database keeps on disk, as an attacker with a backup would read it."""
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


def markers_in(dump: bytes) -> list[str]:
    needles = (MARKER, "Qz7Wk4", PHONE, PHONE.replace(" ", ""), "5550199")
    return [needle for needle in needles if needle.encode() in dump]


def hand_over(deployed, client, auth) -> int:
    """Intake with the markers, then a warm handover with consent to share description and contact."""
    case_id = case_at_vermittlung(deployed, COUNSELLOR, kurzbeschreibung=DESCRIPTION)
    hateaid = next(offer.id for offer in search_offers(deployed, text="hateaid") if offer.key == "hateaid")
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    response = client.post(
        f"/aufgaben/{task_id}",
        data={
            "csrf_token": token,
            f"ref-{hateaid}": "handover",
            f"ref-{hateaid}-consent": "true",
            f"ref-{hateaid}-facts": ["kurzbeschreibung", "kontakt"],
            f"ref-{hateaid}-contact": CONTACT,
            "schutzmassnahmen": ["beweissicherung"],
        },
    )
    assert response.status_code == 302
    assert "vermittlung" not in open_tasks(deployed, case_id)
    return case_id


def test_no_marker_in_a_database_dump_after_a_warm_handover(deployed, client, auth, database_url):
    hand_over(deployed, client, auth)
    dump = database_bytes(database_url)
    assert b"beratung@hateaid.org" in dump  # the dump does hold the outbox (its recipient is in clear)
    assert markers_in(dump) == []
