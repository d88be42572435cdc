"""A fresh install gets the seed directory once; the referral benchmark prints JSON."""

from __future__ import annotations

import json
import re

from lotse.cli import main
from web.app import create_app


def test_db_upgrade_loads_the_seed_once_and_demo_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("LOTSE_DATABASE_URL", raising=False)
    cli = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path}).test_cli_runner()
    first = cli.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    added = int(re.search(r"Referral directory: (\d+) seed entries added", first.output).group(1))
    assert added >= 40
    again = cli.invoke(main, ["db", "upgrade"])
    assert "Referral directory: 0 seed entries added" in again.output
    assert cli.invoke(main, ["workflows", "deploy"]).exit_code == 0
    demo = cli.invoke(main, ["demo"])
    assert demo.exit_code == 0, demo.output


def test_bench_referrals_prints_json(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    cli = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path}).test_cli_runner()
    result = cli.invoke(main, ["bench", "referrals", "--offers", "100", "--queries", "10"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["directory"]["generated_offers"] == 100
    assert "propose_p95_ms" in report["bars"]
