"""The referral benchmark runs end to end on a small directory and reports every variant and the bar."""

from __future__ import annotations

from benchmarks.referrals import run


def test_run_reports_variants_against_the_baseline() -> None:
    report = run(offers=300, queries=25)
    assert report["directory"]["generated_offers"] == 300 and report["directory"]["seed_offers"] > 40
    assert report["directory"]["queries_timed"] == 20
    assert set(report["variants"]) == {
        "baseline_land_scan",
        "rank_only",
        "propose",
        "propose_after_directory_change",
    }
    for summary in report["variants"].values():
        assert 0 < summary["median_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    bar = report["bars"]["propose_p95_ms"]
    assert bar["limit"] == 20.0 and bar["ok"] == (bar["value"] <= 20.0)
