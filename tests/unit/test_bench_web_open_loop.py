"""The open-loop load of ``lotse bench web``: Poisson arrivals at a fixed rate, latency from the scheduled
arrival, requests not waiting for each other; and the bars computed from its figures."""

from __future__ import annotations

import itertools
import random
import threading
import time

import pytest
from werkzeug.serving import make_server

from benchmarks.web import Session
from benchmarks.web_open_loop import (
    PAGES,
    arrivals,
    open_loop,
    open_loop_bars,
    single_client,
)

SERVICE_SECONDS = 0.02


def _one_at_a_time(environ, start_response):
    """A page that takes 20 ms and is served one request at a time (a single-threaded server)."""
    time.sleep(SERVICE_SECONDS)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def slow_server():
    server = make_server("127.0.0.1", 0, _one_at_a_time, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def test_arrivals_are_poisson_at_the_rate():
    times = arrivals(200, 20, random.Random(3))
    assert 3800 < len(times) < 4200  # 4000 expected, sd 63
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    short = sum(gap < 1 / 200 for gap in gaps) / len(gaps)
    assert 0.6 < short < 0.66  # exponential gaps: 1 - 1/e of them are shorter than the mean
    assert times == sorted(times) and times[0] >= 0 and times[-1] < 20


def test_below_capacity_latency_is_the_service_time(slow_server):
    measured = open_loop("login", [Session("anonymous", {})], slow_server, 10, 2.0, warmup=0.5, processes=1)
    assert measured["errors"] == 0 and 10 <= measured["count"] <= 35
    assert SERVICE_SECONDS * 1000 <= measured["median_ms"] < 60


def test_over_capacity_latency_counts_the_queue_from_the_scheduled_arrival(slow_server):
    """At twice what the server can do, a closed loop would still see ~20 ms; the open loop sees the queue."""
    offered = 2 / SERVICE_SECONDS  # 100 per second against a capacity of 50
    measured = open_loop("login", [Session("anonymous", {})], slow_server, offered, 2.0, warmup=0.0)
    alone = single_client("login", Session("anonymous", {}), slow_server, 1.0, warmup=0.2)
    assert alone["p95_ms"] < 60
    assert measured["p95_ms"] > 10 * alone["p95_ms"]  # the backlog grows by ~1 s per 2 s offered
    assert measured["answered_per_s"] < 0.75 * offered


def test_bars_compare_with_the_login_page_of_the_same_run():
    def page(p95):
        return {"single_client": {"p95_ms": p95}, "open_loop_50_per_s": {"p95_ms": 2 * p95}}

    measured = {
        "open_loop": {"inbox": {"100": {"p95_ms": 14.0}}},
        "pages": {"login": page(2.0), "case": page(7.9), "task": page(8.1)},
    }
    saturation = {"inbox": {"requests_per_s": 120.0}, "login": {"requests_per_s": 400.0}}
    bars = open_loop_bars(measured, saturation)
    assert bars["inbox_open_loop_p95_ms_at_100_per_s"]["ok"] is True
    assert bars["inbox_vs_login_saturation_throughput"] == {"value": 0.3, "limit": 0.4, "ok": False}
    assert bars["case_single_client_p95_vs_login"]["ok"] is True
    assert bars["task_single_client_p95_vs_login"] == {"value": 4.05, "limit": 4.0, "ok": False}
    assert bars["task_open_loop_50_per_s_p95_vs_login"]["ok"] is False


def test_every_page_picks_paths_from_its_targets():
    from benchmarks.web_open_loop import Targets

    targets = Targets(steps=("eingang",), case_ids=(7,), task_ids=("t-1",))
    rng = random.Random(1)
    assert PAGES["case"](rng, "team_lead", targets) == (["/faelle/7", "/faelle/7/prozess.bpmn"], {})
    assert PAGES["task"](rng, "team_lead", targets) == (["/aufgaben/t-1"], {})
    assert PAGES["login"](rng, "anonymous", targets) == (["/login"], {})
    paths, _headers = PAGES["inbox"](rng, "counsellor", targets)
    assert paths[0].startswith("/")
