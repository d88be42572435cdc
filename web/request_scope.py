"""The request's one database connection for plain reads: checked out on first use, given back early."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import Connection


def reading() -> Connection:
    """The request's one connection for plain reads (the signed-in person, the inbox), checked out once.

    On PostgreSQL it runs in autocommit: each statement sees what is committed when it starts, as it
    would in a READ COMMITTED transaction, without BEGIN and ROLLBACK travelling to the server. Callers
    end what they read with ``rollback()``, so on SQLite, too, a later read sees what the request wrote.
    """
    connection = g.get("lotse_reading")
    if connection is None:
        context = current_app.extensions["lotse"]
        context.calendar_follower.follow(context.db)
        connection = context.db.connect()
        if context.is_postgres:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        g.lotse_reading = connection
    return connection


def reads_again() -> bool:
    """Whether the request's view reads on the reading connection too (marked ``reuses_reading``);
    if not, the connection goes back to the pool as soon as the signed-in person is known, so that a
    request never holds it while a use case takes a second one."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "reuses_reading", False)


def done_reading(_error: BaseException | None = None) -> None:
    """Give the request's reading connection back to the pool (at the latest when the request ends)."""
    connection = g.pop("lotse_reading", None)
    if connection is not None:
        connection.close()
