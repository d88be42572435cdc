"""The keys benchmark runs end to end on a few cases and reports the rotation against its plain baseline."""

from __future__ import annotations

from benchmarks.keys import RATIO_BAR, run


def test_run_rotates_every_case_and_reports_the_bars(tmp_path) -> None:
    report = run(cases=60, batch=25, database_url=f"sqlite:///{tmp_path / 'keys.db'}")
    assert report["cases"] == 60 and report["average_state_bytes"] > 1000
    assert report["baseline_plain_read_write"]["rows"] == 60
    assert report["rotate"]["rows"] == 60 and report["rotate"]["failures"] == 0
    assert report["bars"]["left_on_old_key"] == {"value": 0, "limit": 0, "ok": True}
    ratio = report["bars"]["rotate_vs_plain_read_write"]
    assert ratio["limit"] == RATIO_BAR and ratio["ok"] == (ratio["value"] >= RATIO_BAR)
