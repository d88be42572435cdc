"""PostgreSQL connections are pinged only after they sat idle: a dead one is replaced before anyone uses it,
a connection given back a moment ago goes out again without a round trip (real PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from engine.store import database
from engine.store.database import make_engine
from tests.conftest import POSTGRES_ADMIN_URL


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _terminate(pid: int) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_killed_while_idle_is_replaced_at_checkout(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = _backend(engine)
        _terminate(first)
        monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)  # it has been idle "long enough"
        second = _backend(engine)  # no error: the ping found it dead and the pool opened a new one
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_back_a_moment_ago_is_not_pinged(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection)
    )
    try:
        for _ in range(5):
            _backend(engine)
        assert pings == []  # the first checkout opens the connection, the others were idle for microseconds
        monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)
        _backend(engine)
        assert pings == [1]
    finally:
        engine.dispose()


def test_a_killed_connection_with_a_fresh_checkin_fails_once_and_is_then_replaced(postgres_url):
    """What the trade costs: a connection killed within the idle window fails its next use once (the pool
    then drops it); the next checkout gets a new one."""
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = _backend(engine)
        _terminate(first)
        with pytest.raises(OperationalError):
            _backend(engine)
        assert _backend(engine) != first
    finally:
        engine.dispose()
