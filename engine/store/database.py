"""Database connections: engine and session factory for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from engine.kernel.clock import require_aware


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which has no zones) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = require_aware(value).astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine with the settings Lotse relies on (WAL, foreign keys and a busy timeout on SQLite)."""
    if is_sqlite(url):
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate_sqlite)
        return engine
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _configure_postgresql)
    event.listen(engine.pool, "checkin", _note_idle)
    event.listen(
        engine.pool, "checkout", lambda connection, record, _proxy: _ping_if_idle(engine, connection, record)
    )
    return engine


# A connection given back to the pool less than this many seconds ago is handed out again without a ping.
# SQLAlchemy's pool_pre_ping asks the server on every checkout: a case page checks out about ten times, and
# each ping is a round trip. A connection idle for longer (the server may have restarted meanwhile) is
# pinged, and a dead one is replaced before anyone uses it.
PING_AFTER_IDLE = 5.0


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, record: Any) -> None:
    since = record.info.get("idle_since")
    if since is not None and time.monotonic() - since < PING_AFTER_IDLE:
        return
    try:
        alive = engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as error:
        raise exc.DisconnectionError(str(error)) from error
    if not alive:
        raise exc.DisconnectionError("the database did not answer the ping")


# psycopg prepares a statement after its fifth execution on a connection and keeps the last 100; the
# inbox alone has a few hundred statement texts (tab, filters, sort, first page or not, with or without
# the team counts), so with 100 they pushed each other out; 300 holds them all (each costs the server a few kB).
PREPARED_PER_CONNECTION = 300


def _configure_postgresql(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()  # a connection just opened needs no ping
    if hasattr(dbapi_connection, "prepared_max"):  # psycopg 3 (psycopg2 prepares nothing)
        dbapi_connection.prepared_max = PREPARED_PER_CONNECTION


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate_sqlite(connection: Any) -> None:
    """Writers take SQLite's write lock up front, so they queue (busy timeout) instead of deadlocking."""
    immediate = connection.get_execution_options().get("lotse_writes", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
