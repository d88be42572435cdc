"""``lotse bench web --part submit`` runs end to end on tiny models (speed is not asserted)."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from benchmarks.web import _shipped_model, inbox_request, model_steps
from lotse.cli import main


def test_submit_part_prints_json_and_every_submit_got_the_expected_redirect(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the CLI may create an instance folder in the working directory
    result = CliRunner().invoke(main, ["bench", "web", "--part", "submit", "--cases", "2", "--sizes", "2,3"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"machine", "submit", "bars", "ok"}
    submit = report["submit"]
    assert submit["cases_per_size"] == 2 and set(submit["sizes"]) == {"2", "3"}
    for size, measured in submit["sizes"].items():
        submits = 2 * int(size)
        assert measured["redirects"] == {"expected": submits, "ok": submits, "unexpected": 0}
        for variant in ("web_submit", "engine_complete_task"):
            summary = measured[variant]
            assert summary["count"] == submits
            assert 0 < summary["median_ms"] <= summary["p95_ms"] <= summary["max_ms"]
            assert summary["mean_ms"] > 0
        assert measured["ratio_median_web_to_engine"] > 0
    assert submit["bars"] == {} and report["bars"] == {}  # the bars are for the 10-, 50- and 100-task models
    assert report["ok"] is True


def test_inbox_requests_use_only_known_tabs_and_the_model_steps():
    steps = [step.element_id for step in model_steps(_shipped_model()[0])]
    assert "eingang" in steps and "eskalation_vermittlung" in steps
    rng = random.Random(7)
    for role in ("counsellor", "team_lead"):
        for _ in range(200):
            path, headers = inbox_request(rng, role, steps)
            assert path.startswith("/")
            assert set(headers) <= {"HX-Request"}
            if "tab=all" in path:
                assert role == "team_lead"
            if "step=" in path:
                assert path.split("step=")[1].split("&")[0] in steps
