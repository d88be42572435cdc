"""`lotse jobs run-once JOB`: each job once, directly, without Prefect; the output is ids and counts."""

from __future__ import annotations

import json

import pytest

from engine.kernel import outbox
from lotse.cli import main
from tests.smtp_server import SmtpServer
from web.app import create_app


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("LOTSE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    assert app.test_cli_runner().invoke(main, ["db", "upgrade"]).exit_code == 0
    return app


def _run(app, *args: str) -> dict:
    result = app.test_cli_runner().invoke(main, ["jobs", "run-once", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_sweep_digest_and_purge_dry_run(app):
    assert _run(app, "sweep") == {
        "fired": 0,
        "conflicts": 0,
        "failed": [],
        "appointments_reminded": [],
        "appointments_escalated": [],
    }
    assert _run(app, "digest")["queued"] == 0
    purge = _run(app, "purge", "--dry-run")
    assert purge["dry_run"] is True and purge["due"] == [] and purge["purged"] == []


def test_unknown_job_is_refused(app):
    result = app.test_cli_runner().invoke(main, ["jobs", "run-once", "aufräumen"])
    assert result.exit_code != 0 and "sweep" in result.output


def test_outbox_waits_without_mail_server_and_delivers_with_one(app, monkeypatch):
    context = app.extensions["lotse"]
    with context.unit_of_work() as session:
        outbox.enqueue(
            session,
            context.clock.now(),
            dedupe_key="cli:1",
            kind="reminder",
            recipient="team@example.org",
            subject="Lotse: Test",
            body="Fall 2026-00001",
        )
        session.commit()
    assert "skipped" in _run(app, "outbox")
    with SmtpServer() as server:
        monkeypatch.setenv("LOTSE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LOTSE_SMTP_PORT", str(server.port))
        monkeypatch.setenv("LOTSE_SMTP_STARTTLS", "false")
        delivered = _run(app, "outbox")
    assert len(delivered["sent"]) == 1 and server.inbox.envelopes[0][1] == ["team@example.org"]
