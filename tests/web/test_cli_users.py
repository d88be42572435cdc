"""`lotse users`: password and deactivate end every session of the person; invite, list, set-roles for scripts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.staff.sessions import open_sessions, start_session
from engine.store.tables import OutboxMessage, Staff
from lotse.cli import main
from web.app import create_app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("LOTSE_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(
        main,
        ["users", "add", "anna", "--name", "Anna", "--role", "beratung", "--password", "ein-gutes-passwort"],
    )
    assert added.exit_code == 0, added.output
    return runner, app.extensions["lotse"]


def _anna(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Staff.id).where(Staff.username == "anna"))


def test_a_new_password_ends_the_sessions(cli):
    runner, ctx = cli
    start_session(ctx, _anna(ctx))
    result = runner.invoke(main, ["users", "password", "anna", "--password", "ein-neues-passwort"])
    assert result.exit_code == 0 and "sessions have ended" in result.output
    assert open_sessions(ctx, _anna(ctx)) == 0
    short = runner.invoke(main, ["users", "password", "anna", "--password", "kurz"])
    assert short.exit_code != 0 and "12" in short.output


def test_deactivation_ends_the_sessions(cli):
    runner, ctx = cli
    start_session(ctx, _anna(ctx))
    result = runner.invoke(main, ["users", "deactivate", "anna"])
    assert result.exit_code == 0 and open_sessions(ctx, _anna(ctx)) == 0
    assert runner.invoke(main, ["users", "deactivate", "niemand"]).exit_code != 0


def test_invite_list_and_set_roles_for_scripts(cli):
    runner, ctx = cli
    invited = runner.invoke(
        main,
        ["users", "invite", "clara", "--name", "Clara", "--email", "clara@example.org", "--role", "beratung"],
    )
    assert invited.exit_code == 0, invited.output
    with ctx.unit_of_work(writes=False) as session:
        mails = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "account")).all()
    assert mails == ["staff:clara"]
    changed = runner.invoke(
        main, ["users", "set-roles", "clara", "--role", "beratung", "--role", "teamleitung"]
    )
    assert changed.exit_code == 0, changed.output
    assert runner.invoke(main, ["users", "set-roles", "clara", "--role", "chef"]).exit_code != 0
    listed = json.loads(runner.invoke(main, ["users", "list", "--json"]).output)
    clara = next(row for row in listed if row["username"] == "clara")
    assert clara["roles"] == ["beratung", "teamleitung"] and clara["second_factor"] is False
    assert "anna\tAnna\tberatung\tactive" in runner.invoke(main, ["users", "list"]).output
    assert runner.invoke(main, ["users", "deactivate", "clara"]).exit_code == 0
    assert runner.invoke(main, ["users", "reactivate", "clara"]).exit_code == 0
