"""The sweep benchmark runs end to end on a few cases and reports every variant (speed is not asserted)."""

from __future__ import annotations

import pytest

from benchmarks.sweep import _fresh_ids, run


def test_run_reports_every_variant_with_no_duplicates_or_misses(postgres_url) -> None:
    report = run(cases=40, postgres=True)
    assert report["cases"] == 40
    results = report["results"]
    assert set(results) == {
        "raw_memory",
        "sqlite_one_sweeper",
        "postgresql_one_sweeper",
        "postgresql_two_sweepers",
    }
    for result in results.values():
        assert result["timers_per_second"] > 0 and result["duplicates"] == 0 and result["misses"] == 0
    assert sum(results["postgresql_two_sweepers"]["fired_per_sweeper"]) == 40
    assert report["bars"]["no_duplicates"] is True and report["bars"]["no_misses"] is True


@pytest.mark.parametrize("count", [1, 3])
def test_fresh_ids_renames_every_id_consistently(count) -> None:
    ids = [f"0000000{n}-aaaa-4bbb-8ccc-dddddddddddd".encode() for n in range(count)]
    blob = b"x " + b" ".join(ids) + b" " + ids[0]
    fresh = _fresh_ids(blob)
    assert not any(old in fresh for old in ids)
    first = fresh.split()[1]
    assert fresh.split()[-1] == first and len(set(fresh.split()[1:-1])) == count
