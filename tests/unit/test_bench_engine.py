"""The engine benchmark runs end to end on a tiny model and reports every variant (speed is not asserted)."""

from __future__ import annotations

from benchmarks.engine import run

VARIANTS = {"lotse", "lotse_cold", "raw_memory", "raw_save_load"}


def test_run_reports_every_variant_and_the_bars() -> None:
    report = run(cases=1, sizes=[3])

    assert report["machine"]["cases"] == 1
    assert all(report["machine"][fact] for fact in ("python", "spiffworkflow", "sqlite", "cpus"))
    assert set(report["sizes"]) == {"3"}
    variants = report["sizes"]["3"]
    assert set(variants) == VARIANTS
    for summary in variants.values():
        assert summary["tasks"] == 3
        assert summary["median_ms"] > 0
        assert summary["p95_ms"] >= summary["median_ms"]

    bars = report["bars"]
    assert set(bars) == {"vs_raw_save_load", "cold_vs_raw_save_load"}  # size-10/100 bars need those sizes
    assert bars["vs_raw_save_load"]["value"]["3"] > 0
    assert isinstance(bars["vs_raw_save_load"]["ok"], bool)
