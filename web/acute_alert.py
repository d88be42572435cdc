"""The alert in every page's header while a task of an AKUT case waits unclaimed in the person's groups."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from engine.inbox.acute import unclaimed_acute
from web.request_scope import done_reading, reading, reads_again


def acute_alert() -> int:
    """The number of unclaimed AKUT tasks the signed-in person could claim (0 when signed out)."""
    if not current_user.is_authenticated:
        return 0
    if "lotse_acute_alert" in g:  # the inbox counted it with its tabs, in this request
        return g.lotse_acute_alert
    connection = reading()
    try:
        return unclaimed_acute(connection, current_user.actor)
    finally:
        connection.rollback()
        if not reads_again():
            done_reading()  # a page whose use case takes its own connection never holds two


def init_app(app: Flask) -> None:
    app.jinja_env.globals["acute_alert"] = acute_alert
