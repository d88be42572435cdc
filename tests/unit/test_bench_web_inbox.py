"""``lotse bench web --part inbox`` runs end to end on a tiny database of its own (speed is not asserted):
the closed loop, the open loop at every rate for the inbox and the login page, and the case and task pages."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

import benchmarks.web
from lotse.cli import main

pytestmark = pytest.mark.postgres


@pytest.fixture
def tiny_bench_database(monkeypatch):
    admin_url = os.environ.get(
        "LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        admin.connect().close()
    except Exception as problem:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {admin_url}")
    name = f"lotse_bench_tiny_{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(benchmarks.web, "INBOX_DATABASE", name)  # never the real benchmark database
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_inbox_part_reports_open_loop_pages_and_bars(tiny_bench_database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(benchmarks.web, "WARMUP_SECONDS", 0.2)
    arguments = ["bench", "web", "--part", "inbox", "--inbox-cases", "50", "--seconds", "1", "--clients", "3"]
    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 0, result.output
    inbox = json.loads(result.stdout)["inbox"]
    assert inbox["database"]["cases"] >= 50
    for page in ("inbox", "login"):
        assert set(inbox["open_loop"][page]) == {"25", "100", "200"}
        for measured in inbox["open_loop"][page].values():
            assert measured["errors"] == 0 and measured["count"] > 0
            assert 0 < measured["median_ms"] <= measured["p95_ms"]
    assert set(inbox["pages"]) == {"login", "case", "task", "search"}
    for figures in inbox["pages"].values():
        assert figures["single_client"]["errors"] == 0 and figures["single_client"]["count"] > 0
        assert figures["open_loop_50_per_s"]["errors"] == 0
    bars = inbox["bars"]
    assert {
        "inbox_open_loop_p95_ms_at_100_per_s",
        "inbox_vs_login_saturation_throughput",
        "case_single_client_p95_vs_login",
        "task_open_loop_50_per_s_p95_vs_login",
        "inbox_errors",
    } <= set(bars)
    assert all(isinstance(bar["ok"], bool) for bar in bars.values())
