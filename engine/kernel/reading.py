"""A connection for plain reads outside a unit of work (the signed-in person, the inbox): autocommit on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Connection

from engine.kernel.context import EngineContext


def open_reading(ctx: EngineContext) -> Connection:
    """A pooled connection for plain reads; the caller closes it.

    On PostgreSQL it runs in autocommit: each statement sees what is committed when it starts, as it
    would in a READ COMMITTED transaction, without BEGIN and ROLLBACK travelling to the server. Callers
    end what they read with ``rollback()``, so on SQLite, too, a later read sees what was written since.
    Like a unit of work, opening one keeps the calendar on the stored settings.
    """
    ctx.calendar_follower.follow(ctx.db)
    connection = ctx.db.connect()
    if ctx.is_postgres:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection
