"""`lotse keys`: add a key, retire refused while a value uses the old one, rotate, then retire removes it."""

from __future__ import annotations

import base64
import json

from engine.cases.lifecycle import open_case
from engine.cases.notes import add_note, case_notes
from engine.person import blind_index
from engine.person.contact_routes import cases_with_route
from engine.person.intake import IntakeRoutes, open_case_for_person
from engine.processes.deployment import deploy_process
from lotse.cli import main
from tests.conftest import COUNSELLOR
from tests.integration.small_models import GESPRAECH_MODEL
from web.app import create_app


def _app(tmp_path):
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})


def test_retire_is_refused_until_the_rotation_moved_every_value_then_removes_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    for name in ("LOTSE_DATABASE_URL", "LOTSE_KEYS", "LOTSE_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    first = _app(tmp_path)
    runner = first.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    ctx = first.extensions["lotse"]
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech").case_id
    add_note(ctx, COUNSELLOR, case_id, "Vor der Rotation")
    assert ctx.vault.active == "k1"
    added = runner.invoke(main, ["keys", "add", "k2"])
    assert added.exit_code == 0, added.output
    assert (tmp_path / "keys").read_text().startswith("k2:") and " k1:" in (tmp_path / "keys").read_text()
    ctx.db.dispose()

    restarted = _app(tmp_path)  # Lotse restarted: k2 is the active key
    runner = restarted.test_cli_runner()
    status = json.loads(runner.invoke(main, ["keys", "status"]).stdout)
    assert status["active"] == "k2" and status["not_under_active"] == {"cases.state": 1, "case_notes.body": 1}
    refused = runner.invoke(main, ["keys", "retire", "k1"])
    assert refused.exit_code != 0
    assert "Key k1 is still used by 2 values (cases.state: 1, case_notes.body: 1)" in refused.output
    assert "k1:" in (tmp_path / "keys").read_text()
    active = runner.invoke(main, ["keys", "retire", "k2"])
    assert active.exit_code != 0 and "k2 is the active key" in active.output

    rotated = runner.invoke(main, ["keys", "rotate", "--batch", "1"])
    assert rotated.exit_code == 0, rotated.output
    assert "cases.state: 1/1" in rotated.output and "case_notes.body: 1/1" in rotated.output
    summary = json.loads(rotated.stdout.strip().splitlines()[-1])
    assert summary["resealed"] == 2 and summary["failures"] == 0 and summary["active"] == "k2"
    again = json.loads(runner.invoke(main, ["keys", "rotate"]).stdout.strip().splitlines()[-1])
    assert again["resealed"] == 0, "a second run finds nothing left"

    retired = runner.invoke(main, ["keys", "retire", "k1"])
    assert retired.exit_code == 0, retired.output
    assert "k1:" not in (tmp_path / "keys").read_text()
    restarted.extensions["lotse"].db.dispose()
    without_k1 = _app(tmp_path).extensions["lotse"]
    assert list(without_k1.vault._ciphers) == ["k2"]
    with without_k1.unit_of_work(writes=False) as session:
        assert [note.text for note in case_notes(without_k1, session, case_id)] == ["Vor der Rotation"]
    without_k1.db.dispose()


def test_a_key_missing_from_the_keyring_is_named_and_nothing_crashes(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    for name in ("LOTSE_DATABASE_URL", "LOTSE_KEYS", "LOTSE_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    ctx = app.extensions["lotse"]
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    lost = open_case(ctx, COUNSELLOR, process_key="gespraech").case_id
    kept = open_case(ctx, COUNSELLOR, process_key="gespraech").case_id
    add_note(ctx, COUNSELLOR, lost, "verloren")
    add_note(ctx, COUNSELLOR, kept, "bleibt")
    ctx.db.dispose()
    keyring = (tmp_path / "keys").read_text()
    (tmp_path / "keys").write_text(keyring.replace("k1:", "k0:"))  # the key k1 is gone from the keyring
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["keys", "rotate"])
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert (
        f"cases.state row {lost}, case {lost}: The key 'k1' that sealed this record is not configured."
        in result.output
    )
    assert json.loads(result.stdout.strip().splitlines()[-1])["failures"] == 4
    app.extensions["lotse"].db.dispose()


def test_an_index_key_is_retired_only_once_the_digests_are_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    for name in ("LOTSE_DATABASE_URL", "LOTSE_KEYS", "LOTSE_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    ctx = app.extensions["lotse"]
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    routes = IntakeRoutes(phone="0171 5551234")
    case_id = open_case_for_person(
        ctx, COUNSELLOR, {"kontaktkanal": "telefon"}, "vertraulich", routes, process_key="gespraech"
    ).case_id
    old = blind_index.fingerprint(ctx.index_key)
    ctx.db.dispose()
    new_key = base64.urlsafe_b64encode(b"j" * 32).decode()
    index_file = tmp_path / "index_key"
    index_file.write_text(f"{new_key} {index_file.read_text().strip()}")

    app = _app(tmp_path)  # restarted with the new index key in front
    runner = app.test_cli_runner()
    ctx = app.extensions["lotse"]
    with ctx.unit_of_work(writes=False) as session:
        assert cases_with_route(ctx, session, "telefon", "+491715551234") == [case_id]
    refused = runner.invoke(main, ["keys", "retire", "--index", old])
    assert refused.exit_code != 0 and f"Index key {old} may still be used by 1 digests" in refused.output
    rotated = runner.invoke(main, ["keys", "rotate"])
    assert json.loads(rotated.stdout.strip().splitlines()[-1])["index_digests_recomputed"] == 1
    retired = runner.invoke(main, ["keys", "retire", "--index", old])
    assert retired.exit_code == 0, retired.output
    assert index_file.read_text() == new_key
    ctx.db.dispose()
    ctx = _app(tmp_path).extensions["lotse"]
    assert ctx.older_index_keys == ()
    with ctx.unit_of_work(writes=False) as session:
        assert cases_with_route(ctx, session, "telefon", "+491715551234") == [case_id]
    ctx.db.dispose()
