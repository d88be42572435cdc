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


def test_growth_bar_is_relative_to_raw_spiffworkflow_growth_in_the_same_run() -> None:
    report = run(cases=1, sizes=[2, 6])

    growth = report["bars"]["growth_vs_raw_save_load"]
    assert growth["sizes"] == "6 vs 2"
    sizes = report["sizes"]
    lotse = sizes["6"]["lotse"]["median_ms"] / sizes["2"]["lotse"]["median_ms"]
    raw = sizes["6"]["raw_save_load"]["median_ms"] / sizes["2"]["raw_save_load"]["median_ms"]
    assert growth["lotse_growth"] == round(lotse, 3)  # the absolute figure stays, as information
    assert growth["raw_save_load_growth"] == round(raw, 3)
    assert growth["value"] == round(lotse / raw, 3)
    assert growth["limit"] == 0.3
    assert growth["ok"] is (growth["value"] <= 0.3)
