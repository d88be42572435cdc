"""``lotse bench deadlines`` at a tiny size: the report's shape, and counts that agree with each other."""

from __future__ import annotations

import pytest

from benchmarks.deadlines import run

MINUTES_PER_WEEK = 7 * 24 * 60
ELEMENT_COUNTS = (
    "deadlines",
    "met",
    "missed",
    "pending",
    "reminded",
    "escalations_due",
    "escalations_fired",
    "fired_late",
    "missed_without_escalation",
)


@pytest.fixture(scope="module")
def report() -> dict:
    return run(cases=12, weeks=2, seed=7)


def test_report_has_every_section(report):
    assert report["cases"] == 12
    assert set(report) >= {
        "setup",
        "risk_levels",
        "tasks",
        "deadlines",
        "escalations",
        "by_element",
        "sweeps",
        "actions",
        "wall_seconds",
        "baseline",
        "bars",
        "definitions",
        "machine",
    }
    assert set(report["bars"]) == {"escalations_fired_late", "missed_without_escalation", "wall_seconds"}
    for bar in report["bars"].values():
        assert bar["ok"] is (bar["value"] <= bar["limit"])
    assert report["baseline"]["empty_sweep_ms_no_cases"] > 0
    assert report["baseline"]["empty_sweep_ms_after_quarter"] > 0
    assert report["wall_seconds"] > 0
    assert report["machine"]["simulation_cpu_seconds"] > 0


def test_the_sweep_ran_at_every_simulated_minute(report):
    sweeps = report["sweeps"]
    assert sweeps["simulated_minutes"] == sweeps["sweeps_run"] == 2 * MINUTES_PER_WEEK
    assert sweeps["minutes_skipped_provably_idle"] == 0
    assert sweeps["failed"] == 0


def test_task_and_deadline_counts_add_up(report):
    tasks, deadlines, escalations = report["tasks"], report["deadlines"], report["escalations"]
    assert tasks["created"] == tasks["completed"] + tasks["cancelled"] + tasks["open_at_end"]
    assert tasks["completed"] == report["actions"]["completions"]
    assert deadlines["total"] <= tasks["created"]
    assert deadlines["total"] == deadlines["met"] + deadlines["missed"] + deadlines["pending_at_end"]
    assert deadlines["missed_and_reminded"] <= deadlines["missed"]
    assert escalations["fired"] <= escalations["due"]
    assert escalations["missed_without_escalation"] == escalations["due"] - escalations["fired"]
    elements = report["by_element"].values()
    assert sum(row["deadlines"] for row in elements) == deadlines["total"]
    for key, total in (
        ("met", deadlines["met"]),
        ("missed", deadlines["missed"]),
        ("pending", deadlines["pending_at_end"]),
        ("escalations_due", escalations["due"]),
        ("escalations_fired", escalations["fired"]),
        ("fired_late", escalations["fired_late"]),
        ("missed_without_escalation", escalations["missed_without_escalation"]),
    ):
        assert sum(row[key] for row in elements) == total, key
    for row in elements:
        assert set(row) == {"chain", *ELEMENT_COUNTS}
        assert row["deadlines"] == row["met"] + row["missed"] + row["pending"]


def test_every_case_starts_and_the_model_chains_escalate_in_time(report):
    by_element = report["by_element"]
    assert by_element["eingang"]["deadlines"] == 12  # every case was opened and has its intake
    assert sum(report["risk_levels"].values()) <= 12
    # the seeded run has late tasks whose chain fired; none of them later than one sweep interval
    assert report["escalations"]["fired"] > 0
    assert report["escalations"]["fired_late"] == 0
    chained = [row for row in by_element.values() if row["chain"]]
    assert chained and all(row["missed_without_escalation"] == 0 for row in chained)
    assert report["actions"]["form_errors"] == {}


def test_same_seed_same_simulation_and_skipping_idle_minutes_changes_no_count(report):
    skipped = run(cases=12, weeks=2, seed=7, skip_idle=True)
    for section in ("risk_levels", "tasks", "deadlines", "escalations", "by_element", "actions"):
        assert skipped[section] == report[section], section
    sweeps = skipped["sweeps"]
    assert sweeps["sweeps_run"] + sweeps["minutes_skipped_provably_idle"] == 2 * MINUTES_PER_WEEK
    assert 0 < sweeps["sweeps_run"] < 2 * MINUTES_PER_WEEK
