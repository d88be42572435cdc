"""Shared fixtures: a controllable clock, an engine context on SQLite and on PostgreSQL, the shipped models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import dovecot_server
from engine.calendar.business_calendar import BusinessCalendar
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.processes.deployment import deploy_process
from engine.store import schema
from engine.store.tables import Base
from engine.store.vault import Vault

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows" / "bpmn"
POSTGRES_ADMIN_URL = os.environ.get(
    "LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_KEY = Vault({"test": b"k" * 32}, "test")

COUNSELLOR = Actor("anna", frozenset({"beratung"}))
OTHER_COUNSELLOR = Actor("ben", frozenset({"beratung"}))
TEAM_LEAD = Actor("tara", frozenset({"teamleitung", "beratung"}))

# Monday 1 June 2026, 10:00 in Berlin
MONDAY_MORNING = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    """The second factor is on by default in Lotse; the suite signs in with passwords only unless a test
    switches it on (``LOTSE_SECOND_FACTOR`` in the app's config), as the account tests do."""
    os.environ.setdefault("LOTSE_SECOND_FACTOR", "off")


def shipped_models() -> tuple[bytes, dict[str, bytes]]:
    bpmn = (WORKFLOWS / "fallbearbeitung.bpmn").read_bytes()
    dmn = {path.name: path.read_bytes() for path in WORKFLOWS.glob("*.dmn")}
    return bpmn, dmn


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_MORNING)


# -- PostgreSQL: one database per test session, emptied between tests -------------------------


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any failure to connect means: no server here
        return f"{error.__class__.__name__}: {str(error).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    problem = _postgres_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_ADMIN_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({problem})")
    name = f"lotse_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrated = create_engine(url)
    schema.upgrade(migrated)
    migrated.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_context(url: str, clock: ManualClock, land: str = "NW") -> EngineContext:
    return build_context(url, TEST_KEY, BusinessCalendar(land=land), clock)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lotse.db'}"
        engine = create_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def ctx(database_url: str, clock: ManualClock) -> Iterator[EngineContext]:
    context = make_context(database_url, clock)
    yield context
    context.db.dispose()


@pytest.fixture
def sqlite_ctx(tmp_path: Path, clock: ManualClock) -> Iterator[EngineContext]:
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    context = make_context(url, clock)
    schema.upgrade(context.db)
    yield context
    context.db.dispose()


@pytest.fixture
def deployed(ctx: EngineContext) -> EngineContext:
    bpmn, dmn = shipped_models()
    deploy_process(ctx, "test", bpmn, dmn)
    return ctx


# -- a real IMAP server (Debian's Dovecot) for the mail intake ----------------------------------


@pytest.fixture
def dovecot():
    if not dovecot_server.DOVECOT.exists():
        if os.environ.get("CI"):
            pytest.fail("Dovecot (/usr/sbin/dovecot) is missing in CI; .ci/run installs dovecot-imapd")
        pytest.skip("Dovecot (/usr/sbin/dovecot) is not installed; apt-get install dovecot-imapd")
    with dovecot_server.running_dovecot() as server:
        yield server
