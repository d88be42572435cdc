"""Open-loop load for ``lotse bench web --part inbox``: what a person feels at a given arrival rate.

Requests arrive as a Poisson process at a fixed rate, whether or not earlier ones have been answered
(a thread pool sends them; no request waits for another before it is sent, only for a free connection
like a browser would). Latency is counted from the *scheduled* arrival to the last byte, so time spent
queueing anywhere — in the client's pool, in gunicorn's backlog, on the CPU — counts, unlike in a closed
loop where clients / throughput hides it. Client processes split the rate (a sum of Poisson processes
is one), so one Python process's GIL does not throttle the load.

Pages are registered in ``PAGES`` by name: a function that picks the paths one page view fetches.
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from benchmarks.web import Browser, Session, inbox_request, summary

OPEN_LOOP_RATES = (25, 100, 200)
PAGE_RATE = 50
INBOX_P95_LIMIT_MS = 50.0  # open loop at 100 requests/s
SATURATION_RATIO_LIMIT = 0.4  # inbox throughput at saturation against the login page's
PAGE_P95_FACTOR = 4.0  # each page's p95 against the login page's, in the same run
CLIENT_PROCESSES = 2
CONNECTIONS_PER_PROCESS = 32


@dataclass(frozen=True)
class Targets:
    """What the pages may ask for: model steps (inbox filters), real cases and their open tasks."""

    steps: Sequence[str] = ()
    case_ids: Sequence[int] = ()
    task_ids: Sequence[str] = ()


View = tuple[list[str], dict[str, str]]  # the paths of one page view, fetched in turn, and headers

PAGES: dict[str, Callable[[random.Random, str, Targets], View]] = {
    "login": lambda rng, role, targets: (["/login"], {}),
    "inbox": lambda rng, role, targets: _single(inbox_request(rng, role, list(targets.steps))),
    # the case page with its diagram: the page, then the BPMN the viewer loads
    "case": lambda rng, role, targets: _case_view(rng.choice(list(targets.case_ids))),
    "task": lambda rng, role, targets: ([f"/aufgaben/{rng.choice(list(targets.task_ids))}"], {}),
    # the case search by reference (the header's search box): one of the kept cases' references
    "search": lambda rng, role, targets: ([f"/suche?q=2026-{rng.choice(list(targets.case_ids)):05d}"], {}),
}


def _single(request: tuple[str, dict[str, str]]) -> View:
    return [request[0]], request[1]


def _case_view(case_id: int) -> View:
    return [f"/faelle/{case_id}", f"/faelle/{case_id}/prozess.bpmn"], {}


def arrivals(rate: float, seconds: float, rng: random.Random) -> list[float]:
    """Poisson arrival offsets in [0, seconds): exponential gaps with mean 1/rate."""
    times, at = [], rng.expovariate(rate)
    while at < seconds:
        times.append(at)
        at += rng.expovariate(rate)
    return times


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    worst_dispatch_lag: float = 0.0
    last_done: float = 0.0


def _view(browser: Browser, paths: list[str], headers: dict[str, str]) -> str:
    for path in paths:
        try:
            status = browser.get(path, headers).status
        except (OSError, http.client.HTTPException) as error:
            browser.close()
            browser.connection = http.client.HTTPConnection(*_address(browser), timeout=60)
            return type(error).__name__
        if status != 200:
            return f"{status} {path}"
    return "200"


def _address(browser: Browser) -> tuple[str, int]:
    return browser.connection.host, browser.connection.port


def _open_loop_process(
    page: str,
    sessions: list[Session],
    port: int,
    targets: Targets,
    rate: float,
    seconds: float,
    warmup: float,
    seed: int,
    start_at: float,
) -> dict[str, Any]:
    rng = random.Random(seed)
    pick = PAGES[page]
    browsers: queue.Queue = queue.Queue()
    for index in range(CONNECTIONS_PER_PROCESS):
        session = sessions[index % len(sessions)]
        browser = Browser(port)
        browser.cookies = dict(session.cookies)
        browsers.put((session.role, browser))
    tally = _Tally()
    lock = threading.Lock()

    def one(scheduled: float, measured: bool, paths: list[str], headers: dict[str, str]) -> None:
        role, browser = browsers.get()
        try:
            status = _view(browser, paths, headers)
        finally:
            browsers.put((role, browser))
        done = time.monotonic()
        elapsed = done - scheduled
        if not measured:
            return
        with lock:
            tally.last_done = max(tally.last_done, done)
            tally.statuses[status] += 1
            if status == "200":
                tally.latencies.append(elapsed)
            elif len(tally.samples) < 5:
                tally.samples.append(status)

    with ThreadPoolExecutor(max_workers=CONNECTIONS_PER_PROCESS) as pool:
        for offset in arrivals(rate, warmup + seconds, rng):
            scheduled = start_at + offset
            time.sleep(max(0.0, scheduled - time.monotonic()))
            tally.worst_dispatch_lag = max(tally.worst_dispatch_lag, time.monotonic() - scheduled)
            role = sessions[rng.randrange(len(sessions))].role
            paths, headers = pick(rng, role, targets)
            pool.submit(one, scheduled, offset >= warmup, paths, headers)
    while not browsers.empty():
        browsers.get()[1].close()
    return {
        "latencies": tally.latencies,
        "statuses": dict(tally.statuses),
        "samples": tally.samples,
        "worst_dispatch_lag": tally.worst_dispatch_lag,
        "drain": max(0.0, tally.last_done - (start_at + warmup + seconds)),
    }


def _child(results: Any, *arguments: Any) -> None:
    try:
        results.put(_open_loop_process(*arguments))
    except BaseException as error:  # report instead of leaving the parent waiting
        results.put({"latencies": [], "statuses": {"client-crash": 1}, "samples": [repr(error)]})


def open_loop(
    page: str,
    sessions: list[Session],
    port: int,
    rate: float,
    seconds: float,
    targets: Targets = Targets(),
    warmup: float = 1.0,
    processes: int = CLIENT_PROCESSES,
) -> dict[str, Any]:
    """Offer ``rate`` page views per second for ``seconds`` (after ``warmup``); latency from arrival."""
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    results = context.Queue()
    start_at = time.monotonic() + 0.5 + 0.1 * processes
    share = rate / processes
    children = [
        context.Process(
            target=_child,
            args=(results, page, sessions, port, targets, share, seconds, warmup, 7000 + index, start_at),
            daemon=True,
        )
        for index in range(processes)
    ]
    try:
        for child in children:
            child.start()
        reports = [results.get(timeout=warmup + seconds + 120) for _ in children]
        for child in children:
            child.join(timeout=10)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
    latencies = [seconds for report in reports for seconds in report["latencies"]]
    statuses: Counter = Counter()
    for report in reports:
        statuses.update(report["statuses"])
    errors = sum(count for status, count in statuses.items() if status != "200")
    result = {
        "offered_per_s": rate,
        # answered over the window plus the time the backlog took to drain after it
        "answered_per_s": round(len(latencies) / (seconds + max(r.get("drain", 0.0) for r in reports)), 1),
        **summary(latencies),
        "errors": errors,
        "client_dispatch_lag_max_ms": round(
            1000 * max((report.get("worst_dispatch_lag", 0.0) for report in reports), default=0.0), 1
        ),
    }
    if errors:
        result["error_samples"] = [sample for report in reports for sample in report["samples"]][:10]
    return result


def single_client(
    page: str, session: Session, port: int, seconds: float, targets: Targets = Targets(), warmup: float = 1.0
) -> dict[str, Any]:
    """One person, one page view after the other (no think time): the latency without any queueing."""
    rng = random.Random(11)
    browser = Browser(port)
    browser.cookies = dict(session.cookies)
    latencies, errors = [], Counter()
    started = time.monotonic()
    try:
        while (now := time.monotonic()) - started < warmup + seconds:
            paths, headers = PAGES[page](rng, session.role, targets)
            status = _view(browser, paths, headers)
            if now - started >= warmup:
                if status == "200":
                    latencies.append(time.monotonic() - now)
                else:
                    errors[status] += 1
    finally:
        with contextlib.suppress(OSError):
            browser.close()
    return {
        **summary(latencies),
        "errors": sum(errors.values()),
        **({"error_samples": list(errors)} if errors else {}),
    }


def ratio_bar(value: float, limit: float, at_least: bool = False) -> dict[str, Any]:
    ok = value >= limit if at_least else value <= limit
    return {"value": round(value, 3), "limit": limit, "ok": ok}


def measure_open_loop(
    port: int, people: list[Session], anonymous: list[Session], targets: Targets, seconds: float
) -> dict[str, Any]:
    """The inbox against the login page at each rate, then every other page at ``PAGE_RATE`` and alone."""
    from benchmarks.web import log

    by_rate: dict[str, dict[str, Any]] = {"inbox": {}, "login": {}}
    for rate in OPEN_LOOP_RATES:
        for page, sessions in (("inbox", people), ("login", anonymous)):
            log(f"open loop: {page} at {rate} requests/s for {seconds:.0f} s")
            by_rate[page][str(rate)] = open_loop(page, sessions, port, rate, seconds, targets)
    leads = [session for session in people if session.role == "team_lead"] or people
    pages: dict[str, dict[str, Any]] = {}
    for page in PAGES:
        if page == "inbox":
            continue
        sessions = anonymous if page == "login" else leads  # team leads may open every case
        log(f"pages: {page}, one client and {PAGE_RATE} requests/s open loop")
        pages[page] = {
            "single_client": single_client(page, sessions[0], port, seconds, targets),
            f"open_loop_{PAGE_RATE}_per_s": open_loop(page, sessions, port, PAGE_RATE, seconds, targets),
        }
    return {"open_loop": by_rate, "pages": pages}


def open_loop_bars(measured: dict[str, Any], saturation: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's bars: inbox p95 at 100/s, saturation ratio, every page within 4x the login page."""
    inbox_100 = measured["open_loop"]["inbox"].get("100", {})
    bars = {
        "inbox_open_loop_p95_ms_at_100_per_s": ratio_bar(
            inbox_100.get("p95_ms", float("inf")), INBOX_P95_LIMIT_MS
        ),
        "inbox_vs_login_saturation_throughput": ratio_bar(
            saturation["inbox"]["requests_per_s"] / max(saturation["login"]["requests_per_s"], 1e-9),
            SATURATION_RATIO_LIMIT,
            at_least=True,
        ),
    }
    pages = measured["pages"]
    floor = pages.get("login")
    for page, figures in pages.items():
        if page == "login" or floor is None:
            continue
        for variant in ("single_client", f"open_loop_{PAGE_RATE}_per_s"):
            login_p95 = floor[variant].get("p95_ms", float("nan"))
            page_p95 = figures[variant].get("p95_ms", float("inf"))
            bars[f"{page}_{variant}_p95_vs_login"] = ratio_bar(page_p95 / login_p95, PAGE_P95_FACTOR)
    return bars
