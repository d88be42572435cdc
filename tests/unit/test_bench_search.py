"""The search benchmark runs end to end on a few generated cases and reports every variant and the bars."""

from __future__ import annotations

from benchmarks.search import run


def test_run_reports_the_searches_against_the_primary_key_baseline(tmp_path) -> None:
    report = run(cases=300, queries=25, database_url=f"sqlite:///{tmp_path / 'search.db'}")
    assert report["cases"] == 300 and report["queries_timed"] == 20
    assert set(report["variants"]) == {"baseline_primary_key", "by_reference", "by_phone", "by_filters"}
    for summary in report["variants"].values():
        assert 0 < summary["median_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    assert set(report["bars"]) == {"by_reference_p95_ms", "by_phone_p95_ms", "by_filters_p95_ms"}
    for bar in report["bars"].values():
        assert bar["limit"] == 20.0 and bar["ok"] == (bar["value"] <= 20.0)
