"""``lotse bench web``: what a person waits for, measured through the real HTTP stack.

Two parts, each with its baseline measured in the same run:

* ``submit``: completing a task by HTTP POST (login session, CSRF, form validation, engine, SQLite,
  audit, redirect) on the generated sequential models, served in process by Werkzeug's threaded HTTP
  server and driven over one keep-alive connection. Only the POST is timed, from sending it until the
  302 has arrived; the task page is fetched before every submit (it carries the CSRF token and is what
  a person looks at). Baseline: ``complete_task`` called directly on the same database.
* ``inbox``: the inbox page on PostgreSQL with 100,000 generated cases, served by gunicorn and loaded
  by concurrent clients in a closed loop (no think time). Each client is its own process with its own
  session, so the load generator's interpreter lock does not queue requests. Baseline: the login page
  (no database work) under the same load.

The inbox database ``lotse_bench_inbox`` is generated with set-based SQL on the server named by
``LOTSE_BENCH_POSTGRES_URL`` (default: the local ``postgres`` database) and kept for the next run when
it still holds what would be generated (``--rebuild`` forces a new one); open tasks' due dates are moved
along with the clock so the share of overdue tasks stays the same. ``LOTSE_BENCH_INBOX_DATABASE`` names
another database, e.g. to keep one per branch whose schema differs.

Progress goes to stderr; the report is returned as a dict and printed as JSON by the CLI.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import multiprocessing
import os
import platform
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import urlencode, urlsplit

from lxml import etree
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from benchmarks.models import sequential_model
from engine.bpmn.deadline_chains import expand_deadlines
from engine.bpmn.files import parse_model_xml
from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import complete_task, open_case
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext, build_context
from engine.processes.deployment import deploy_process
from engine.staff.accounts import add_staff
from engine.store import schema
from engine.store.tables import Case, Staff, Task
from engine.store.vault import Vault
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows" / "bpmn"
PASSWORD = "bench-passwort-2026"
VAULT_KEY = b"w" * 32
KEYRING = "bench:" + base64.urlsafe_b64encode(b"i" * 32).decode()  # the inbox never decrypts anything
SUBMIT_MEDIAN_LIMIT_MS = 10.0
# The generated staff have no second factor enrolled; with it required, every page would be the redirect to
# the enrolment. The check itself stays in every request (the session lookup reads the enrolment).
SECOND_FACTOR = False
POSTGRES_ADMIN_URL = os.environ.get(
    "LOTSE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# another name keeps a database of one's own (e.g. a branch with another schema) beside the usual one
INBOX_DATABASE = os.environ.get("LOTSE_BENCH_INBOX_DATABASE", "lotse_bench_inbox")
CSRF = re.compile(rb'name="csrf_token"[^>]*?value="([^"]+)"')


def log(message: str) -> None:
    print(f"[bench web] {message}", file=sys.stderr, flush=True)


# -- A browser: one keep-alive connection and its cookies ----------------------------------------


@dataclass
class Reply:
    status: int
    location: str | None
    body: bytes


class Browser:
    """What one person's browser does: HTTP/1.1 over one kept-alive connection, cookies sent back, and
    compressed answers accepted (they are timed until their last byte, not unpacked)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict[str, str]) -> Reply:
        return self.request("POST", path, form=form)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        head = {"Accept-Encoding": "gzip, deflate", **(headers or {})}  # as every browser sends it
        if self.cookies:
            head["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            head["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=head)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if method != "GET":
                raise
            # the server closed a kept-alive connection between two requests: a browser reconnects
            self.connection.close()
            self.connection.request(method, path, body=body, headers=head)
            response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep(header)
        return Reply(response.status, response.getheader("Location"), data)

    def _keep(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        expired = any(attribute.strip().lower() in ("max-age=0",) for attribute in attributes)
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def login(self, username: str, password: str) -> None:
        token = csrf_token(self.get("/login").body)
        reply = self.post("/login", {"username": username, "password": password, "csrf_token": token})
        if reply.status != 302:
            raise RuntimeError(f"login of {username} answered {reply.status}, expected 302")

    def close(self) -> None:
        self.connection.close()


def csrf_token(page: bytes) -> str:
    found = CSRF.search(page)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1).decode()


# -- Statistics ---------------------------------------------------------------------------------


def summary(seconds: list[float]) -> dict[str, Any]:
    """Median, 95th and 99th percentile (nearest rank) and mean in milliseconds, and the count."""
    if not seconds:
        return {"count": 0}
    ordered = sorted(seconds)
    return {
        "median_ms": _ms(statistics.median(ordered)),
        "p95_ms": _ms(_rank(ordered, 0.95)),
        "p99_ms": _ms(_rank(ordered, 0.99)),
        "mean_ms": _ms(statistics.fmean(ordered)),
        "max_ms": _ms(ordered[-1]),
        "count": len(ordered),
    }


def _rank(ordered: list[float], share: float) -> float:
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _bar(value: float, limit: float) -> dict[str, Any]:
    return {"value": value, "limit": limit, "ok": value <= limit}


# == Part 1: submitting a task over HTTP on SQLite ================================================

SUBMITTER = "bea"
SUBMITTER_GROUPS = frozenset({"beratung"})


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (it would be timed too)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@contextmanager
def serving(app: Any) -> Iterator[int]:
    """Serve ``app`` with Werkzeug's threaded HTTP/1.1 server on a free local port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="bench-web-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def run_submit(cases: int, sizes: list[int]) -> dict[str, Any]:
    """Web submit against engine-only ``complete_task`` for every model size; the ``submit`` report."""
    results = {}
    for size in sizes:
        log(f"submit: model with {size} tasks, {cases} cases")
        results[str(size)] = _submit_size(size, cases)
    bars = {
        f"median_submit_ms_{size}": _bar(result["web_submit"]["median_ms"], SUBMIT_MEDIAN_LIMIT_MS)
        for size, result in results.items()
        if size in ("10", "50", "100")
    }
    return {
        "server": "werkzeug.serving.make_server(threaded=True) in process, HTTP/1.1 keep-alive",
        "database": f"SQLite {sqlite3.sqlite_version} (file in a temporary folder, WAL)",
        "cases_per_size": cases,
        "timed": "POST /aufgaben/<id> until its response has arrived; the task page GET before it is not",
        "sizes": results,
        "bars": bars,
    }


def _submit_size(size: int, cases: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lotse-bench-web-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        ctx = build_context(url, Vault({"bench": VAULT_KEY}, "bench"), BusinessCalendar(land="NW"))
        try:
            schema.upgrade(ctx.db)
            key = deploy_process(ctx, "bench", sequential_model(size, f"bench_{size}")).key
            add_staff(ctx, "bench", SUBMITTER, "Bea Bench", PASSWORD, sorted(SUBMITTER_GROUPS))
            app = create_app({"INSTANCE_PATH": Path(directory) / "instance", "LOTSE_CONTEXT": ctx})
            with serving(app) as port:
                browser = Browser(port)
                try:
                    browser.login(SUBMITTER, PASSWORD)
                    checks = Counter()
                    _engine_case(ctx, key)  # warm-up of both paths, not counted
                    _web_case(ctx, browser, key, Counter())
                    engine_times: list[float] = []
                    web_times: list[float] = []
                    for _ in range(cases):  # alternate, so both see the same database
                        engine_times += _engine_case(ctx, key)
                        web_times += _web_case(ctx, browser, key, checks)
                finally:
                    browser.close()
        finally:
            ctx.db.dispose()
    web, engine = summary(web_times), summary(engine_times)
    return {
        "web_submit": web,
        "engine_complete_task": engine,
        "web_overhead_median_ms": round(web["median_ms"] - engine["median_ms"], 3),
        "ratio_median_web_to_engine": round(web["median_ms"] / engine["median_ms"], 2),
        "redirects": {
            "expected": len(web_times),
            "ok": checks["ok"],
            "unexpected": len(web_times) - checks["ok"],
        },
    }


def _actor() -> Actor:
    return Actor(SUBMITTER, SUBMITTER_GROUPS)


def _open_task(ctx: EngineContext, case_id: int) -> str | None:
    with ctx.db.connect() as connection:
        return connection.scalar(select(Task.id).where(Task.case_id == case_id, Task.status == "open"))


def _engine_case(ctx: EngineContext, process_key: str) -> list[float]:
    """Baseline: the engine's use case alone (warm instance cache, as in ``bench engine``)."""
    case_id = open_case(ctx, _actor(), process_key=process_key).case_id
    times = []
    while (task_id := _open_task(ctx, case_id)) is not None:
        values = {f"notiz_{len(times) + 1}": "Gespräch geführt"}
        started = perf_counter()
        complete_task(ctx, _actor(), task_id, values)
        times.append(perf_counter() - started)
    return times


def _web_case(ctx: EngineContext, browser: Browser, process_key: str, checks: Counter) -> list[float]:
    """Work through one case in the browser: open the task page, submit it, follow the redirect."""
    case_id = open_case(ctx, _actor(), process_key=process_key).case_id
    task_id = _open_task(ctx, case_id)
    times = []
    while task_id is not None:
        page = browser.get(f"/aufgaben/{task_id}")
        if page.status != 200:
            raise RuntimeError(f"task page {task_id} answered {page.status}")
        form = {f"notiz_{len(times) + 1}": "Gespräch geführt", "csrf_token": csrf_token(page.body)}
        path = f"/aufgaben/{task_id}"
        started = perf_counter()
        reply = browser.post(path, form)
        times.append(perf_counter() - started)
        following = _open_task(ctx, case_id)
        expected = f"/aufgaben/{following}" if following is not None else "/"
        if reply.status == 302 and reply.location and urlsplit(reply.location).path == expected:
            checks["ok"] += 1
        else:
            log(f"unexpected answer to POST {path}: {reply.status} {reply.location} (expected {expected})")
        task_id = following
    return times


# == Part 2: the inbox on PostgreSQL under concurrent load ========================================

GENERATOR = 1  # bump when the generated data changes, so an old database is rebuilt
COUNSELLORS = tuple(f"berater{number:02d}" for number in range(1, 41))
TEAM_LEADS = ("leitung1", "leitung2")
TEAM_LEAD_SHARE = 0.2  # of the client sessions
TASKS_PER_CASE = 10
SIDE_TASK_SHARE = 0.25  # open cases with a second open task (a team-lead check or a parallel step)
ASSIGNED_SHARE = 0.35  # open tasks that someone has claimed
WARMUP_SECONDS = 2.0
# Population shares of the Länder (per mille, rounded), so filters by Land hit realistic row counts.
LAENDER_WEIGHTS = {
    "NW": 216, "BY": 159, "BW": 135, "NI": 96, "HE": 76, "SN": 48, "RP": 50, "BE": 45,
    "SH": 35, "BB": 31, "ST": 26, "TH": 25, "HH": 22, "MV": 19, "SL": 12, "HB": 8,
}  # fmt: skip
OFFICE_TYPES = ("beratungsstelle", "jugendamt", "schule", "polizei", "selbst")
CONTACT_CHANNELS = ("telefon", "chat", "mail", "vor_ort")


@dataclass(frozen=True)
class Step:
    element_id: str
    title: str
    group: str
    priority: int  # -1: 90 for AKUT/HOCH cases, else 50 (the model's expression)
    escalation: bool


def model_steps(bpmn: bytes) -> list[Step]:
    """The user tasks of the shipped model, read from its XML with the declared reminder and escalation
    chains expanded, as Lotse runs it (group, literal priority, escalation flag)."""
    names = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "camunda": "http://camunda.org/schema/1.0/bpmn",
    }
    camunda = "{" + names["camunda"] + "}"
    steps = []
    expanded = etree.tostring(expand_deadlines(parse_model_xml(bpmn, "fallbearbeitung.bpmn")))
    for task in ElementTree.fromstring(expanded).iter("{" + names["bpmn"] + "}userTask"):
        priority = (task.get(camunda + "priority") or "50").strip()
        escalation = any(
            prop.get("name") == "lotse:escalation" and prop.get("value") == "true"
            for prop in task.iter(camunda + "property")
        )
        steps.append(
            Step(
                element_id=task.get("id", ""),
                title=task.get("name") or task.get("id", ""),
                group=task.get(camunda + "candidateGroups") or "beratung",
                priority=int(priority) if priority.isdigit() else -1,
                escalation=escalation,
            )
        )
    return steps


def _shipped_model() -> tuple[bytes, dict[str, bytes]]:
    bpmn = (WORKFLOWS / "fallbearbeitung.bpmn").read_bytes()
    return bpmn, {path.name: path.read_bytes() for path in sorted(WORKFLOWS.glob("*.dmn"))}


# -- The generated database ----------------------------------------------------------------------


def prepare_inbox_database(admin_url: str, cases: int, rebuild: bool) -> tuple[str, dict[str, Any]]:
    """Create (or reuse) the benchmark database; returns its URL and what it holds."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", INBOX_DATABASE):  # it is written into statements
        raise ValueError(f"LOTSE_BENCH_INBOX_DATABASE: not a plain database name: {INBOX_DATABASE!r}")
    open_cases = cases // 5
    wanted = {
        "generator": GENERATOR,
        "cases": cases,
        "open_cases": open_cases,
        "tasks_per_case": TASKS_PER_CASE,
    }
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = make_url(admin_url).set(database=INBOX_DATABASE).render_as_string(hide_password=False)
    started = perf_counter()
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": INBOX_DATABASE}
            )
            note = connection.scalar(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": INBOX_DATABASE},
            )
            meta = _meta(note)
            reuse = bool(exists) and not rebuild and meta is not None
            reuse = reuse and all(meta.get(key) == value for key, value in wanted.items())
            if reuse and not _holds(url, cases, open_cases):
                reuse = False
            if not reuse:
                log(f"inbox: building database {INBOX_DATABASE} ({cases} cases)")
                connection.execute(text(f'DROP DATABASE IF EXISTS "{INBOX_DATABASE}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{INBOX_DATABASE}"'))
        ctx = build_context(url, Vault({"bench": VAULT_KEY}, "bench"), BusinessCalendar(land="NW"))
        try:
            schema.upgrade(ctx.db)  # on a reused database: only migrations added since it was built
            now = ctx.clock.now()
            if reuse:
                log(f"inbox: reusing database {INBOX_DATABASE} (--rebuild forces a new one)")
                _shift_due_dates(ctx, datetime.fromisoformat(meta["anchor"]), now)
            else:
                _generate(ctx, cases, open_cases, now)
            _vacuum_analyze(url)
            with admin.connect() as connection:
                note = json.dumps({**wanted, "anchor": now.isoformat()})
                connection.execute(text(f"COMMENT ON DATABASE \"{INBOX_DATABASE}\" IS '{note}'"))
            facts = _database_facts(ctx, now)
        finally:
            ctx.db.dispose()
    finally:
        admin.dispose()
    facts.update(reused=reuse, prepare_seconds=round(perf_counter() - started, 1))
    return url, facts


def _meta(note: str | None) -> dict[str, Any] | None:
    try:
        meta = json.loads(note or "")
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and "anchor" in meta else None


def _holds(url: str, cases: int, open_cases: int) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                select(
                    # the generated cases only (ids 1 … N): real cases for the page bench lie above
                    select(func.count()).select_from(Case).where(Case.id <= cases).scalar_subquery(),
                    select(func.count())
                    .select_from(Case)
                    .where(Case.id <= cases, Case.status == "open")
                    .scalar_subquery(),
                    select(func.count()).select_from(Task).where(Task.case_id <= cases).scalar_subquery(),
                    select(func.count()).select_from(Staff).scalar_subquery(),
                )
            ).one()
    except Exception:  # no tables, half-built: build again
        return False
    finally:
        engine.dispose()
    return tuple(found) == (cases, open_cases, cases * TASKS_PER_CASE, len(COUNSELLORS) + len(TEAM_LEADS))


def _shift_due_dates(ctx: EngineContext, anchor: datetime, now: datetime) -> None:
    """Keep due dates spread around now on a reused database (some overdue, most ahead)."""
    shift = now - anchor
    if abs(shift) < timedelta(minutes=10):
        return
    with ctx.db.begin() as connection:
        connection.execute(
            text("UPDATE tasks SET due_at = due_at + :shift WHERE status = 'open' AND due_at IS NOT NULL"),
            {"shift": shift},
        )


def _vacuum_analyze(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM (ANALYZE) tasks"))
            connection.execute(text("VACUUM (ANALYZE) cases"))
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _generate(ctx: EngineContext, cases: int, open_cases: int, now: datetime) -> None:
    started = perf_counter()
    bpmn, dmn = _shipped_model()
    version_id = deploy_process(ctx, "bench", bpmn, dmn).version_id
    for username in COUNSELLORS:
        add_staff(ctx, "bench", username, f"Beraterin {username[-2:]}", PASSWORD, ["beratung"])
    for number, username in enumerate(TEAM_LEADS, start=1):
        add_staff(ctx, "bench", username, f"Teamleitung {number}", PASSWORD, ["teamleitung", "beratung"])
    steps = model_steps(bpmn)
    main = [index for index, step in enumerate(steps, start=1) if step.group != "teamleitung"]
    side = [index for index, step in enumerate(steps, start=1) if step.group == "teamleitung"] or main
    laender = [land for land, weight in LAENDER_WEIGHTS.items() for _ in range(weight)]
    params = {
        "now": now,
        "cases": cases,
        "open_cases": open_cases,
        "version_id": version_id,
        "laender": laender,
        "offices": list(OFFICE_TYPES),
        "channels": list(CONTACT_CHANNELS),
        "counsellors": list(COUNSELLORS),
        "leads": list(TEAM_LEADS),
        "per_case": TASKS_PER_CASE,
        "side_share": SIDE_TASK_SHARE,
        "assigned": ASSIGNED_SHARE,
        "element_ids": [step.element_id for step in steps],
        "titles": [step.title for step in steps],
        "groups": [step.group for step in steps],
        "priorities": [step.priority for step in steps],
        "escalations": [step.escalation for step in steps],
        "main": main,
        "side": side,
    }
    with ctx.db.begin() as connection:
        connection.execute(text("SELECT setseed(0.2026)"))
        log(f"inbox: {cases} cases")
        connection.execute(text(_CASES_SQL), params)
        log(f"inbox: {cases * TASKS_PER_CASE} tasks")
        connection.execute(text(_TASKS_SQL), params)
        connection.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :cases)"), params)
    log(f"inbox: generated in {perf_counter() - started:.0f} s")


# Cases: one every ~16 minutes over three years; the newest fifth is open. Random draws are taken
# once per row in the inner query (OFFSET 0 keeps the planner from inlining them).
_CASES_SQL = """
INSERT INTO cases (id, reference, process_version_id, state, serializer_version, lock_version, status,
    next_timer_at, escalated, legal_hold, risk_level, land, office_type, contact_channel, opened_at,
    first_contact_at, closed_at, updated_at, opened_by)
SELECT s.g,
    to_char(s.opened AT TIME ZONE 'UTC', 'YYYY') || '-' || lpad(s.g::text, 6, '0'),
    CAST(:version_id AS integer), decode('00', 'hex'), 'bench', 1 + floor(s.r_lock * 30)::int,
    CASE WHEN s.is_open THEN 'open' ELSE 'closed' END,
    NULL, s.r_escalated < 0.02, false,
    CASE WHEN s.r_risk < 0.04 THEN NULL WHEN s.r_risk < 0.07 THEN 'AKUT' WHEN s.r_risk < 0.19 THEN 'HOCH'
         WHEN s.r_risk < 0.54 THEN 'MITTEL' WHEN s.r_risk < 0.94 THEN 'NIEDRIG' ELSE 'INFO' END,
    (CAST(:laender AS text[]))[1 + floor(s.r_land * cardinality(CAST(:laender AS text[])))::int],
    (CAST(:offices AS text[]))[1 + floor(s.r_office * cardinality(CAST(:offices AS text[])))::int],
    (CAST(:channels AS text[]))[1 + floor(s.r_channel * cardinality(CAST(:channels AS text[])))::int],
    s.opened, s.opened + interval '3 hours',
    CASE WHEN s.is_open THEN NULL ELSE s.opened + (3 + s.r_lock * 60) * interval '1 day' END,
    CASE WHEN s.is_open THEN CAST(:now AS timestamptz) - s.r_lock * interval '3 days'
         ELSE s.opened + (3 + s.r_lock * 60) * interval '1 day' END,
    (CAST(:counsellors AS text[]))[1 + floor(s.r_who * cardinality(CAST(:counsellors AS text[])))::int]
FROM (
    SELECT g, g > CAST(:cases AS integer) - CAST(:open_cases AS integer) AS is_open,
        CAST(:now AS timestamptz) - (CAST(:cases AS integer) - g) * interval '946 seconds'
            - random() * interval '10 minutes' AS opened,
        random() AS r_lock, random() AS r_escalated, random() AS r_risk, random() AS r_land,
        random() AS r_office, random() AS r_channel, random() AS r_who
    FROM generate_series(1, CAST(:cases AS integer)) AS g
    OFFSET 0
) AS s
"""

# Tasks: ten per case. Closed cases have only history (completed, some cancelled), in model order. An
# open case has one open task (a counselling step), a quarter of them a second one (a team-lead step);
# about a third of the open tasks are claimed; due dates from three days ago to nine days ahead.
_TASKS_SQL = """
INSERT INTO tasks (id, case_id, element_id, title, candidate_group, assignee, due_at, follow_up_at,
    priority, escalation, status, created_at, completed_at, completed_by, case_reference, case_risk_level,
    case_land, case_escalated)
SELECT md5(s.case_id::text || '-' || s.i::text)::uuid::text, s.case_id,
    (CAST(:element_ids AS text[]))[s.k], (CAST(:titles AS text[]))[s.k], s.candidate_group,
    CASE WHEN NOT s.is_open OR s.r_assign < CAST(:assigned AS float8) THEN s.who END,
    CASE WHEN NOT s.is_open THEN s.created + interval '2 days'
         WHEN s.r_due < 0.04 THEN NULL
         ELSE CAST(:now AS timestamptz) + (s.r_due * 12 - 3) * interval '1 day' END,
    NULL,
    CASE WHEN (CAST(:priorities AS integer[]))[s.k] >= 0 THEN (CAST(:priorities AS integer[]))[s.k]
         WHEN s.risk IN ('AKUT', 'HOCH') THEN 90 ELSE 50 END,
    (CAST(:escalations AS boolean[]))[s.k],
    CASE WHEN s.is_open THEN 'open' WHEN s.r_cancel < 0.06 THEN 'cancelled' ELSE 'completed' END,
    s.created,
    CASE WHEN NOT s.is_open THEN LEAST(s.created + s.r_done * interval '2 days', CAST(:now AS timestamptz)) END,
    CASE WHEN NOT s.is_open AND s.r_cancel >= 0.06 THEN s.who END,
    s.reference, s.risk, s.land, s.escalated
FROM (
    SELECT u.*, (CAST(:groups AS text[]))[u.k] AS candidate_group,
        CASE WHEN (CAST(:groups AS text[]))[u.k] = 'teamleitung'
             THEN (CAST(:leads AS text[]))[1 + floor(u.r_who * cardinality(CAST(:leads AS text[])))::int]
             ELSE (CAST(:counsellors AS text[]))[1 + floor(u.r_who * cardinality(CAST(:counsellors AS text[])))::int]
        END AS who
    FROM (
        SELECT t.*,
            CASE WHEN t.is_open AND t.i = CAST(:per_case AS integer)
                    THEN (CAST(:main AS integer[]))[1 + floor(t.r_step * cardinality(CAST(:main AS integer[])))::int]
                 WHEN t.is_open
                    THEN (CAST(:side AS integer[]))[1 + floor(t.r_step * cardinality(CAST(:side AS integer[])))::int]
                 ELSE 1 + (t.i - 1) % cardinality(CAST(:element_ids AS text[])) END AS k
        FROM (
            SELECT c.id AS case_id, c.risk_level AS risk, c.reference, c.land, c.escalated, g.i,
                c.status = 'open' AND (g.i = CAST(:per_case AS integer)
                    OR (g.i = CAST(:per_case AS integer) - 1 AND random() < CAST(:side_share AS float8)))
                    AS is_open,
                CASE WHEN c.status = 'open' AND g.i >= CAST(:per_case AS integer) - 1
                     THEN GREATEST(c.opened_at, CAST(:now AS timestamptz) - random() * interval '5 days')
                     ELSE c.opened_at + (g.i - 1) * LEAST(interval '4 hours',
                         (COALESCE(c.closed_at, CAST(:now AS timestamptz)) - c.opened_at) / CAST(:per_case AS integer))
                END AS created,
                random() AS r_step, random() AS r_assign, random() AS r_who, random() AS r_due,
                random() AS r_cancel, random() AS r_done
            FROM cases AS c CROSS JOIN generate_series(1, CAST(:per_case AS integer)) AS g(i)
            OFFSET 0
        ) AS t
        OFFSET 0
    ) AS u
    OFFSET 0
) AS s
ORDER BY 1
"""


def _database_facts(ctx: EngineContext, now: datetime) -> dict[str, Any]:
    open_task = Task.status == "open"
    with ctx.db.connect() as connection:

        def count(*conditions: Any, of: Any = Task) -> int:
            return int(connection.scalar(select(func.count()).select_from(of).where(*conditions)) or 0)

        return {
            "name": INBOX_DATABASE,
            "postgresql": connection.exec_driver_sql("SHOW server_version").scalar(),
            "cases": count(of=Case),
            "open_cases": count(Case.status == "open", of=Case),
            "tasks": count(),
            "open_tasks": count(open_task),
            "open_tasks_assigned": count(open_task, Task.assignee.is_not(None)),
            "open_tasks_overdue": count(open_task, Task.due_at < now),
            "open_tasks_teamleitung": count(open_task, Task.candidate_group == "teamleitung"),
            "staff": count(of=Staff),
            "size_mb": round(
                connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar() / 2**20
            ),
        }


# -- gunicorn ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    worker_class: str
    workers: int
    threads: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, config: ServerConfig, folder: Path) -> Iterator[tuple[int, int]]:
    """Run Lotse under gunicorn as a subprocess; yields (port, master pid). Always stopped afterwards."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        config.worker_class,
        "--workers",
        str(config.workers),
        "--threads",
        str(config.threads),
        "--backlog",
        "256",
        "--log-level",
        "warning",
        "web.app:create_app()",
    ]
    environment = dict(
        os.environ,
        LOTSE_DATABASE_URL=database_url,
        LOTSE_KEYS=KEYRING,
        LOTSE_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        LOTSE_INSTANCE=str(folder / "instance"),
        LOTSE_LAND="NW",
        LOTSE_SECOND_FACTOR="on" if SECOND_FACTOR else "off",
    )
    server_log = folder / "gunicorn.log"
    with server_log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=output,
            start_new_session=True,  # its own process group: stopped as a whole, not hit by Ctrl-C twice
            preexec_fn=_stop_with_parent,
        )
    try:
        _wait_until_serving(process, port, server_log)
        yield port, process.pid
    finally:
        _stop(process)
        problems = server_log.read_text(errors="replace").strip()
        if problems:
            log("gunicorn said:\n" + "\n".join(problems.splitlines()[-20:]))


def _stop_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM to gunicorn should this benchmark die without cleaning up."""
    with suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_until_serving(process: subprocess.Popen, port: int, server_log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {server_log.read_text()[-2000:]}")
        try:
            browser = Browser(port)
            try:
                if browser.get("/login").status == 200:
                    return
            finally:
                browser.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(process: subprocess.Popen) -> None:
    """Ask the gunicorn master to stop (it stops its workers); kill its process group if it does not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log("gunicorn did not stop within 15 s: killing it")
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # stray workers of our own process group, if any
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so the clean-up of ``finally`` blocks (gunicorn, clients) runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- Load: clients in their own processes, closed loop -------------------------------------------


@dataclass(frozen=True)
class Session:
    """A logged-in (or anonymous) browser session and what its person asks for."""

    role: str  # counsellor, team_lead, anonymous
    cookies: dict[str, str]


def inbox_request(rng: random.Random, role: str, steps: list[str]) -> tuple[str, dict[str, str]]:
    """One inbox request as a person clicks it: a tab, sometimes filters, a sort order, a page."""
    draw = rng.random()
    query: dict[str, Any] = {}
    if role == "team_lead":
        if draw < 0.30:
            query = {"tab": "all", "page": rng.choice((1, 1, 1, 2, 3, 5, 10, 40, 200))}
        elif draw < 0.55:
            query = {"tab": "all", **_filters(rng, steps)}
        elif draw < 0.70:
            query = {"tab": "overdue", "page": rng.choice((1, 1, 2, 5))}
        elif draw < 0.85:
            query = {"tab": "groups", "page": rng.choice((1, 1, 2, 3))}
        else:
            query = {"tab": "mine"}
    elif draw < 0.35:
        query = {"tab": "mine", "page": rng.choice((1, 1, 1, 2, 3))}
    elif draw < 0.60:
        query = {"tab": "groups", "page": rng.choice((1, 1, 1, 2, 3, 5, 10, 50))}
    elif draw < 0.72:
        query = {"tab": "overdue"}
    else:
        query = {"tab": rng.choice(("groups", "groups", "mine", "overdue")), **_filters(rng, steps)}
    if rng.random() < 0.25:
        query["sort"] = "priority"
    headers = {"HX-Request": "true"} if rng.random() < 0.4 else {}  # filters, tabs, paging via htmx
    if query.get("tab") == "mine" and rng.random() < 0.5:
        query.pop("tab")  # the start page itself
    return "/?" + urlencode(query) if query else "/", headers


def _filters(rng: random.Random, steps: list[str]) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.choice(("risk", "land", "step", "due"))
        if kind == "risk":
            chosen["risk"] = rng.choice(("AKUT", "HOCH", "HOCH", "MITTEL", "NIEDRIG", "INFO"))
        elif kind == "land":
            chosen["land"] = rng.choice(tuple(LAENDER_WEIGHTS))
        elif kind == "step":
            chosen["step"] = rng.choice(steps)
        else:
            chosen["due"] = rng.choice(("overdue", "today", "3days", "none"))
    return chosen


def _client(
    sessions: list[Session],
    port: int,
    target: str,
    steps: list[str],
    seed: int,
    start_at: float,
    measure_from: float,
    stop_at: float,
    results: Any,
) -> None:
    """A client process: its sessions take turns, one request at a time, until ``stop_at``."""
    try:
        results.put(_client_loop(sessions, port, target, steps, seed, start_at, measure_from, stop_at))
    except BaseException as error:  # report instead of leaving the parent waiting
        results.put(
            {"times": [], "statuses": {"client-crash": 1}, "samples": [repr(error)], "cpu_seconds": 0.0}
        )


def _client_loop(
    sessions: list[Session],
    port: int,
    target: str,
    steps: list[str],
    seed: int,
    start_at: float,
    measure_from: float,
    stop_at: float,
) -> dict[str, Any]:
    rng = random.Random(seed)
    browsers = []
    for session in sessions:
        browser = Browser(port)
        browser.cookies = dict(session.cookies)
        browsers.append((session.role, browser))
    times: list[tuple[str, float]] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []
    time.sleep(max(0.0, start_at - time.monotonic()))
    cpu_started = None
    turn = 0
    while (now := time.monotonic()) < stop_at:
        if cpu_started is None and now >= measure_from:
            cpu_started = time.process_time()
        role, browser = browsers[turn % len(browsers)]
        turn += 1
        path, headers = ("/login", {}) if target == "login" else inbox_request(rng, role, steps)
        started = perf_counter()
        try:
            status = str(browser.get(path, headers).status)
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
            browser.close()
        elapsed = perf_counter() - started
        if now < measure_from:
            continue
        statuses[status] += 1
        if status == "200":
            times.append((role, elapsed))
        elif len(samples) < 5:
            samples.append(f"{status} {path}")
    for _, browser in browsers:
        browser.close()
    cpu = time.process_time() - cpu_started if cpu_started is not None else 0.0
    return {"times": times, "statuses": dict(statuses), "samples": samples, "cpu_seconds": cpu}


def run_load(
    groups: list[list[Session]],
    port: int,
    target: str,
    steps: list[str],
    seconds: float,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """Every group of sessions is one client process; all start together, warm up, then are measured."""
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    results = context.Queue()
    start_at = time.monotonic() + 0.5 + 0.05 * len(groups)
    measure_from = start_at + WARMUP_SECONDS
    stop_at = measure_from + seconds
    processes = [
        context.Process(
            target=_client,
            args=(group, port, target, steps, 1000 + index, start_at, measure_from, stop_at, results),
            daemon=True,
        )
        for index, group in enumerate(groups)
    ]
    try:
        for process in processes:
            process.start()
        time.sleep(max(0.0, measure_from - time.monotonic()))
        cpu_before = _cpu_sample(server_pid)
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu_after = _cpu_sample(server_pid)
        reports = [results.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(timeout=10)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
    times = [entry for report in reports for entry in report["times"]]
    statuses: Counter[str] = Counter()
    for report in reports:
        statuses.update(report["statuses"])
    errors = sum(count for status, count in statuses.items() if status != "200")
    result = {
        **summary([seconds for _, seconds in times]),
        "requests_per_s": round(sum(statuses.values()) / seconds, 1),
        "errors": errors,
        "statuses": dict(statuses),
    }
    if errors:
        result["error_samples"] = [sample for report in reports for sample in report["samples"]][:10]
    roles = sorted({role for role, _ in times})
    if len(roles) > 1:
        result["by_role"] = {role: summary([s for r, s in times if r == role]) for role in roles}
    result["cpu"] = _cpu_shares(cpu_before, cpu_after, sum(report["cpu_seconds"] for report in reports))
    if result["cpu"] and result["requests_per_s"]:
        result["cpu_ms_per_request"] = {
            name: round(result["cpu"][name] * 1000 / result["requests_per_s"], 2)
            for name in ("server", "postgres", "postgres_bench")
        }
    return result


def _cpu_sample(server_pid: int | None) -> dict[str, float] | None:
    """Machine-wide busy time, and the CPU time of the gunicorn master and its workers and of all
    PostgreSQL processes (Linux /proc; None elsewhere)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        sample = {"wall": time.monotonic(), "busy": (sum(values) - values[3] - values[4]) / ticks}
        sample["server"] = sample["postgres"] = sample["postgres_bench"] = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # the process has gone
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            rest = stat[stat.rindex(")") + 2 :].split()
            used = (int(rest[11]) + int(rest[12])) / ticks  # utime, stime
            if server_pid is not None and server_pid in (int(entry.name), int(rest[1])):
                sample["server"] += used
            elif name.startswith("postgres"):
                sample["postgres"] += used
                if _serves_bench_database(entry):
                    sample["postgres_bench"] += used
        return sample
    except (OSError, ValueError, IndexError):
        return None


def _serves_bench_database(process: Path) -> bool:
    """Whether a PostgreSQL process is a backend connected to the benchmark database (its title says)."""
    try:
        title = (process / "cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return f" {INBOX_DATABASE} ".encode() in title


def _cpu_shares(
    before: dict[str, float] | None, after: dict[str, float] | None, client_seconds: float
) -> dict[str, Any]:
    """Who kept the cores busy while the load was measured, in cores (1.0: one core all the time)."""
    if before is None or after is None:
        return {}
    wall = after["wall"] - before["wall"]
    names = ("busy", "server", "postgres", "postgres_bench")
    shares = {name: (after[name] - before[name]) / wall for name in names}
    shares["clients"] = client_seconds / wall
    shares["other"] = max(0.0, shares["busy"] - shares["server"] - shares["postgres"] - shares["clients"])
    return {"cores": os.cpu_count(), **{name: round(value, 2) for name, value in shares.items()}}


# -- The inbox part ------------------------------------------------------------------------------


def run_inbox(
    cases: int,
    seconds: float,
    clients: int,
    rebuild: bool,
    config: ServerConfig,
    admin_url: str = POSTGRES_ADMIN_URL,
) -> dict[str, Any]:
    from benchmarks.web_open_loop import measure_open_loop, open_loop_bars  # they build on this module
    from benchmarks.web_pages import page_targets

    url, database = prepare_inbox_database(admin_url, cases, rebuild)
    steps = [step.element_id for step in model_steps(_shipped_model()[0])]
    single_seconds = min(seconds, 10.0)
    targets = page_targets(url, cases, steps)
    log("inbox: statements and CPU per page in process (Flask test client, no load)")
    per_page = statements_per_page(url, steps)
    with (
        _terminate_on_sigterm(),
        tempfile.TemporaryDirectory(prefix="lotse-bench-inbox-") as directory,
        gunicorn(url, config, Path(directory)) as (port, pid),
    ):
        log(f"inbox: gunicorn {config.worker_class} {config.workers}x{config.threads} on port {port}")
        people = _sessions(port, clients)
        anonymous = [Session("anonymous", _anonymous_cookies(port)) for _ in range(clients)]
        log(f"inbox: single client, {single_seconds:.0f} s each for the inbox and the login page")
        single_inbox = run_load([people], port, "inbox", steps, single_seconds, pid)
        single_login = run_load([anonymous[:1]], port, "login", steps, single_seconds, pid)
        log(f"inbox: {clients} concurrent clients, {seconds:.0f} s on the login page (baseline)")
        login = run_load([[session] for session in anonymous], port, "login", steps, seconds, pid)
        log(f"inbox: {clients} concurrent clients, {seconds:.0f} s on the inbox")
        inbox = run_load([[session] for session in people], port, "inbox", steps, seconds, pid)
        open_loop = measure_open_loop(port, people, anonymous, targets, min(seconds, 10.0))
    counts = Counter(session.role for session in people)
    return {
        "database": database,
        "server": {
            "gunicorn": metadata.version("gunicorn"),
            "worker_class": config.worker_class,
            "workers": config.workers,
            "threads": config.threads,
            "cpus": os.cpu_count(),
            "why": "one worker process per core, threads so a worker keeps the CPU while one request "
            "waits on PostgreSQL and so connections stay alive; in a sweep sync 3 and 5 and gthread 4x2 "
            "were within the noise of this (59 to 70 inbox pages/s)",
        },
        "load": {
            "clients": clients,
            "client_processes": clients,
            "sessions": dict(counts),
            "think_time_s": 0,
            "warmup_s": WARMUP_SECONDS,
            "seconds": seconds,
            "single_client_seconds": single_seconds,
            "timed": "each GET from sending it until the whole page has arrived; any status but 200 is an error",
            "mix": "a fifth of the sessions are team leads (tab all, often deep pages and filters); "
            "counsellors: mine 35 %, groups 25 % (pages up to 50), overdue 12 %, filtered 28 %; "
            "sort by priority 25 %, htmx partial 40 %",
            "note": "clients, gunicorn and PostgreSQL share this machine's cores: cpu says who used them "
            "(in cores; other = processes outside this benchmark; postgres_bench = only the backends "
            "connected to the benchmark database, since other databases on the server may be busy too); "
            "with clients in a closed loop the "
            "latency is clients / throughput, so it follows the CPU cost per request",
        },
        "per_page_in_process": per_page,
        "single_client": {"inbox": single_inbox, "login_baseline": single_login},
        # closed loop: information, no bar (its latency is clients / throughput); it gives the saturation
        "concurrent": {"login_baseline": login, "inbox": inbox},
        "open_loop": open_loop["open_loop"],
        "pages": open_loop["pages"],
        "bars": {
            **open_loop_bars(open_loop, saturation={"inbox": inbox, "login": login}),
            "inbox_errors": {"value": inbox["errors"], "limit": 0, "ok": inbox["errors"] == 0},
        },
    }


def statements_per_page(url: str, steps: list[str], requests: int = 300) -> dict[str, Any]:
    """What one inbox page costs inside the app, free of load and of the other processes on this machine:
    SQL statements and connection checkouts per page (SQLAlchemy events), and the CPU time
    of this process (app, SQLAlchemy, driver; no HTTP server), by role, over the mix the clients send."""
    with tempfile.TemporaryDirectory(prefix="lotse-bench-statements-") as directory:
        app = create_app(
            {
                "LOTSE_DATABASE_URL": url,
                "LOTSE_KEYS": KEYRING,
                "INSTANCE_PATH": directory,
                "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            }
        )
        app.config["LOTSE_SECOND_FACTOR"] = SECOND_FACTOR
        db = app.extensions["lotse"].db
        seen: Counter[str] = Counter()
        listeners = (
            (db, "before_cursor_execute", lambda *_: seen.update(["statements"])),
            (db.pool, "checkout", lambda *_: seen.update(["checkouts"])),
        )
        for target, name, listener in listeners:
            event.listen(target, name, listener)
        try:
            report = {}
            for role, username in (("counsellor", COUNSELLORS[0]), ("team_lead", TEAM_LEADS[0])):
                client = app.test_client()
                token = csrf_token(client.get("/login").data)
                client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
                rng = random.Random(7)
                mix = [inbox_request(rng, role, steps) for _ in range(requests)]
                for path, headers in mix[:20]:  # warm up: templates, statement caches, the process model
                    client.get(path, headers=headers)
                seen.clear()
                started = time.process_time()
                statuses = Counter(client.get(path, headers=headers).status_code for path, headers in mix)
                cpu = time.process_time() - started
                report[role] = {
                    **{name: round(seen[name] / requests, 2) for name in ("statements", "checkouts")},
                    "cpu_ms": round(cpu * 1000 / requests, 2),
                    "statuses": {str(status): count for status, count in statuses.items()},
                }
        finally:
            for target, name, listener in listeners:
                event.remove(target, name, listener)
            app.extensions["lotse"].db.dispose()
    report["requests_per_role"] = requests
    return report


def _sessions(port: int, clients: int) -> list[Session]:
    """Log every client in with its own session: counsellors, and the team leads for a fifth of them."""
    leads = round(clients * TEAM_LEAD_SHARE)
    people = [("team_lead", TEAM_LEADS[index % len(TEAM_LEADS)]) for index in range(leads)]
    people += [("counsellor", COUNSELLORS[index % len(COUNSELLORS)]) for index in range(clients - leads)]
    sessions = []
    for role, username in people:
        browser = Browser(port)
        try:
            browser.login(username, PASSWORD)
        finally:
            browser.close()
        sessions.append(Session(role, dict(browser.cookies)))
    return sessions


def _anonymous_cookies(port: int) -> dict[str, str]:
    browser = Browser(port)
    try:
        if browser.get("/login").status != 200:
            raise RuntimeError("the login page did not answer 200")
    finally:
        browser.close()
    return dict(browser.cookies)


# -- Both parts ----------------------------------------------------------------------------------


def run(
    part: str = "all",
    cases: int = 20,
    sizes: tuple[int, ...] = (10, 50, 100),
    inbox_cases: int = 100_000,
    seconds: float = 20.0,
    clients: int = 20,
    rebuild: bool = False,
    config: ServerConfig | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": _machine()}
    if part in ("submit", "all"):
        report["submit"] = run_submit(cases, list(sizes))
    if part in ("inbox", "all"):
        report["inbox"] = run_inbox(inbox_cases, seconds, clients, rebuild, config or DEFAULT_SERVER)
    report["bars"] = {
        name: bar
        for section in ("submit", "inbox")
        for name, bar in report.get(section, {}).get("bars", {}).items()
    }
    report["ok"] = all(bar["ok"] for bar in report["bars"].values())
    report["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    return report


DEFAULT_SERVER = ServerConfig("gthread", workers=2, threads=4)


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "flask": metadata.version("flask"),
        "werkzeug": metadata.version("werkzeug"),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "spiffworkflow": metadata.version("spiffworkflow"),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }
