"""The request's one database connection for plain reads: checked out on first use, given back early."""

from __future__ import annotations

from flask import current_app, g, request

from engine.kernel.reading import open_reading


def reading():
    """The request's one (SQLAlchemy) connection for plain reads (the signed-in person, the inbox), checked out once
    (see ``open_reading``). Callers end what they read with ``rollback()``, so that a later read in the
    same request sees what the request wrote."""
    connection = g.get("lotse_reading")
    if connection is None:
        connection = g.lotse_reading = open_reading(current_app.extensions["lotse"])
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
