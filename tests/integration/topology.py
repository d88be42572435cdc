"""The production topology as real processes, for tests/integration/test_topology.py.

PostgreSQL for Lotse and a second database for the Prefect server, ``prefect server start`` on it, a
process work pool with ``lotse jobs deploy --work-pool``, ``prefect worker start`` processes and gunicorn
processes sharing the secret key and the keys. Every process runs in its own process group and is
stopped (or killed) with it; the databases are dropped afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
POOL = "lotse"
PASSWORD = "topologie-passwort-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
# a case: intake, then a call-back whose boundary timer falls due 14.4 s later and reminds by e-mail
TIMER_HOURS = 0.004
MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="fallbearbeitung" name="Topologie" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="aufnahme" name="Aufnahme" camunda:candidateGroups="beratung">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="notiz" label="Notiz" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="rueckruf" name="Rückruf" camunda:candidateGroups="beratung">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="ergebnis" label="Ergebnis" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="rueckruf_faellig" cancelActivity="false" attachedToRef="rueckruf">
      <bpmn:timerEventDefinition>
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">kalenderstunden({TIMER_HOURS})</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:intermediateThrowEvent id="erinnern">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="lotse:effect" value="erinnerung"/>
        <camunda:property name="lotse:ziel" value="rueckruf"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="erinnert"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="aufnahme"/>
    <bpmn:sequenceFlow id="f2" sourceRef="aufnahme" targetRef="rueckruf"/>
    <bpmn:sequenceFlow id="f3" sourceRef="rueckruf" targetRef="e"/>
    <bpmn:sequenceFlow id="f4" sourceRef="rueckruf_faellig" targetRef="erinnern"/>
    <bpmn:sequenceFlow id="f5" sourceRef="erinnern" targetRef="erinnert"/>
  </bpmn:process>
</bpmn:definitions>
"""


class PieceDidNotStart(RuntimeError):
    """A piece of the topology could not start (the test skips outside CI and fails in CI)."""


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(ADMIN_URL.replace("+psycopg", ""), autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def throwaway_databases(*purposes: str) -> Iterator[dict[str, str]]:
    """One fresh PostgreSQL database per purpose (name -> SQLAlchemy URL without driver), dropped after."""
    suffix = uuid.uuid4().hex[:8]
    names = {purpose: f"topology_{purpose}_{suffix}" for purpose in purposes}
    try:
        with admin_connection() as admin:
            for name in names.values():
                admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as problem:
        raise PieceDidNotStart(f"PostgreSQL not reachable at {ADMIN_URL}: {problem}") from problem
    base = ADMIN_URL.replace("+psycopg", "").rsplit("/", 1)[0]
    try:
        yield {purpose: f"{base}/{name}" for purpose, name in names.items()}
    finally:
        with admin_connection() as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(lotse_url: str, prefect_url: str, prefect_port: int, smtp_port: int, home: Path) -> dict:
    """What every Lotse process of the topology shares: database, keys, secret key, mail, Prefect API."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LOTSE_", "PREFECT_"))}
    env.update(
        LOTSE_DATABASE_URL=lotse_url.replace("postgresql://", "postgresql+psycopg://"),
        LOTSE_KEYS="topo1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
        LOTSE_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        LOTSE_INSTANCE=str(home / "instance"),
        LOTSE_SECURE_COOKIES="false",
        LOTSE_SMTP_HOST="127.0.0.1",
        LOTSE_SMTP_PORT=str(smtp_port),
        LOTSE_SMTP_STARTTLS="false",
        LOTSE_MAIL_FROM="lotse@beratung.invalid",
        LOTSE_BASE_URL="http://127.0.0.1",
        PREFECT_HOME=str(home / "prefect"),
        PREFECT_API_URL=f"http://127.0.0.1:{prefect_port}/api",
        PREFECT_API_DATABASE_CONNECTION_URL=prefect_url.replace("postgresql://", "postgresql+asyncpg://"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_EPHEMERAL_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        # a dead worker's run holds its deployment's slot (limit 1) until the lease runs out: 30 s here
        PREFECT_SERVER_CONCURRENCY_INITIAL_DEPLOYMENT_LEASE_DURATION="30",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Processes:
    """Every long-running process of the topology, each leading its own process group."""

    folder: Path
    started: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """SIGKILL to the process, its group and every descendant (a machine that died)."""
        process = self.started[name]
        doomed = [process.pid, *descendants(process.pid)]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in reversed(self.started.values()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.started.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def run(command: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """A one-off command of the deploy step; its output is returned, a failure raises with it."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise PieceDidNotStart(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


def wait_until(check, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise PieceDidNotStart(f"{what}: the process exited with {process.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if check():
                return
        time.sleep(0.5)
    raise PieceDidNotStart(f"{what}: not within {timeout:.0f} s")


def answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


class Browser:
    """One person's browser against one web process: cookies kept, CSRF token read from the page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"http://127.0.0.1:{self.port}",
                }
            )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";")[0].strip().partition("=")
                self.cookies[name] = value
            return response.status, urlsplit(response.getheader("Location") or "").path, text
        finally:
            connection.close()

    def page_token(self, path: str) -> str:
        status, _, text = self.request("GET", path)
        found = CSRF.search(text)
        if status != 200 or found is None:
            raise AssertionError(f"GET {path} on port {self.port}: {status}, no form")
        return found.group(1)

    def login(self, username: str) -> None:
        token = self.page_token("/login")
        form = {"username": username, "password": PASSWORD, "csrf_token": token}
        status, _, _ = self.request("POST", "/login", form)
        assert status == 302, f"login of {username} on port {self.port} answered {status}"


def prefect(*arguments: str) -> list[str]:
    return [str(BIN / "prefect"), *arguments]


def lotse(*arguments: str) -> list[str]:
    return [str(BIN / "lotse"), *arguments]


def gunicorn(port: int) -> list[str]:
    bind = ("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--log-level", "warning")
    return [str(BIN / "gunicorn"), *bind, "web.app:create_app()"]


def free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]
