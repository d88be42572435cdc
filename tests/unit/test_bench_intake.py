"""The intake benchmark runs end to end on a small real Dovecot mailbox: every message stored once, the
baselines measured, and the bar reported as it came out (not asserted: timing depends on the machine)."""

from __future__ import annotations

import pytest

from benchmarks import dovecot_server
from benchmarks.intake import BAR, run


def test_run_takes_every_message_once_and_reports_the_bars() -> None:
    if not dovecot_server.DOVECOT.exists():
        pytest.skip("Dovecot (/usr/sbin/dovecot) is not installed; apt-get install dovecot-imapd")
    report = run(messages=120)
    assert (report["stored"], report["duplicates"], report["lost"]) == (120, 0, 0)
    assert report["baseline_fetch_parse_per_s"] > 0 and report["baseline_batched_fetch_parse_per_s"] > 0
    bar = report["bars"]["intake_vs_fetch_parse"]
    assert bar["limit"] == BAR and bar["value"] == report["ratio"] and bar["ok"] == (bar["value"] >= BAR)
    assert report["bars"]["duplicates"] == {"value": 0, "limit": 0, "ok": True}
