"""Migration 0011 on SQLite and PostgreSQL: the clear outbox contents of an existing database are sealed
on upgrade (with the application's vault or the keys in the environment) and opened again on downgrade."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from engine.kernel.message_content import open_content
from engine.store import schema
from engine.store.database import make_engine
from engine.store.vault import Vault, VaultError, new_key_entry, parse_keyring
from lotse.cli import main
from tests.conftest import TEST_KEY
from tests.database_dump import database_bytes, found_in
from web.app import create_app

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
MARKER = "Markertext-Lm5Tc2"
# status, subject, body: a waiting, a dead, a delivered and a purged message
ROWS = {
    "waiting": ("pending", "Warme Übergabe (R-1)", f"- Kurzbeschreibung: {MARKER} wartet"),
    "dead": ("dead", "Lotse: Frist", f"- So ist die Person erreichbar: {MARKER} tot"),
    "sent": ("sent", "Lotse: Eskalation", f"{MARKER} schon zugestellt"),
    "purged": ("pending", "Lotse: gelöscht", ""),
}


@pytest.fixture
def at_0010(database_url):
    engine = make_engine(database_url)  # as Lotse connects: on SQLite, DDL inside the transaction
    schema.downgrade(engine, "0010", vault=TEST_KEY)
    with engine.begin() as connection:
        for key, (status, subject, body) in ROWS.items():
            connection.execute(
                text(
                    "INSERT INTO outbox (dedupe_key, kind, recipient, subject, body, status, attempts,"
                    " next_attempt_at, created_at) VALUES (:key, 'referral_handover', :recipient, :subject,"
                    " :body, :status, 1, :now, :now)"
                ),
                {"key": key, "recipient": f"{key}@example.org", "subject": subject, "body": body}
                | {"status": status, "now": NOW},
            )
    yield engine
    schema.upgrade(engine, vault=TEST_KEY)
    engine.dispose()


def _sealed(engine) -> dict[str, tuple[int, str, bytes | None]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT dedupe_key, id, recipient, sealed FROM outbox")).all()
    return {row[0]: (row[1], row[2], None if row[3] is None else bytes(row[3])) for row in rows}


def _clear(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT dedupe_key, subject, body FROM outbox")).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_upgrade_seals_what_waits_and_downgrade_opens_it_again(at_0010, database_url):
    engine = at_0010
    schema.upgrade(engine, vault=TEST_KEY)
    columns = {column["name"] for column in inspect(engine).get_columns("outbox")}
    assert "sealed" in columns and not {"subject", "body"} & columns
    sealed = _sealed(engine)
    for key in ("waiting", "dead"):
        message_id, recipient, content = sealed[key]
        opened = open_content(TEST_KEY, message_id, recipient, content)
        assert (opened.subject, opened.body) == ROWS[key][1:]
    assert sealed["sent"][2] is None and sealed["purged"][2] is None
    assert found_in(database_bytes(database_url), [MARKER]) == []

    schema.downgrade(engine, "0010", vault=TEST_KEY)
    clear = _clear(engine)
    assert clear["waiting"] == ROWS["waiting"][1:] and clear["dead"] == ROWS["dead"][1:]
    assert clear["sent"] == ("", "") and clear["purged"] == ("", "")  # delivered content is gone for good


def test_alembic_on_its_own_takes_the_keys_from_the_environment(at_0010, monkeypatch, tmp_path):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path / "no-instance"))
    monkeypatch.delenv("LOTSE_KEYS", raising=False)
    with pytest.raises(RuntimeError, match="No encryption keys"):
        schema.upgrade(at_0010)
    assert _clear(at_0010)["waiting"] == ROWS["waiting"][1:]  # nothing changed: still at 0010

    keyring = f"{new_key_entry('neu')} test:{'a' * 43}="
    monkeypatch.setenv("LOTSE_KEYS", keyring)
    schema.upgrade(at_0010)
    message_id, recipient, content = _sealed(at_0010)["waiting"]
    vault = Vault(*parse_keyring(keyring))
    assert Vault.key_id_of(content) == "neu"  # the active key of the environment's keyring
    assert open_content(vault, message_id, recipient, content).body == ROWS["waiting"][2]
    with pytest.raises(VaultError):
        open_content(TEST_KEY, message_id, recipient, content)
    schema.downgrade(at_0010, "0010")  # the environment's keys open it again
    assert _clear(at_0010)["waiting"] == ROWS["waiting"][1:]


def test_lotse_db_upgrade_seals_with_the_application_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    for name in ("LOTSE_DATABASE_URL", "LOTSE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade", "0010"]).exit_code == 0
    context = app.extensions["lotse"]
    status, subject, body = ROWS["waiting"]
    with context.db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (dedupe_key, kind, recipient, subject, body, status, attempts,"
                " next_attempt_at, created_at) VALUES ('cli', 'reminder', 'staff:anna', :subject, :body,"
                " :status, 0, :now, :now)"
            ),
            {"subject": subject, "body": body, "status": status, "now": NOW},
        )
    monkeypatch.setenv(
        "LOTSE_INSTANCE", str(tmp_path / "elsewhere")
    )  # the keys come from the app, not Alembic
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    message_id, recipient, content = _sealed(context.db)["cli"]
    assert open_content(context.vault, message_id, recipient, content).body == body
    assert runner.invoke(main, ["db", "downgrade", "0010"]).exit_code == 0
    assert _clear(context.db)["cli"] == (subject, body)
