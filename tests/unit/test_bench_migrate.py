"""The migration benchmark runs end to end on a few cases and reports both phases and baselines (speed is not asserted)."""

from __future__ import annotations

from benchmarks.migrate import REFUSED_ON_TARGET, STEPS, run


def test_run_reports_dry_run_migration_and_baselines() -> None:
    report = run(cases=len(STEPS) * 3)

    sqlite = report["sqlite"]
    assert sqlite["database"] == "sqlite" and sqlite["cases"] == len(STEPS) * 3
    assert sqlite["generated"]["templates"] == sorted(STEPS)
    dry = sqlite["dry_run"]
    assert dry["cases"] == len(STEPS) * 3
    assert dry["refused"] == len(REFUSED_ON_TARGET) * 3 and dry["movable"] == dry["cases"] - dry["refused"]
    assert set(dry["refusals"]) == set(REFUSED_ON_TARGET.values())
    migration = sqlite["migration"]
    assert migration["migrated"] == migration["on_target_after"] == dry["movable"]
    for part in ("baseline_read", "baseline_load_save"):
        assert sqlite[part]["cases"] == len(STEPS) * 3 and sqlite[part]["cases_per_second"] > 0
    assert isinstance(report["bar"]["ok"], bool) and "postgresql" not in report
