"""The steps the inbox can be filtered by: the user tasks of a process version."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from engine.kernel.context import EngineContext


def process_steps(ctx: EngineContext, connection: Connection, version_id: int) -> tuple[tuple[str, str], ...]:
    """(element id, name) of the user tasks of a process version, read on the caller's connection."""
    with Session(bind=connection) as session:
        return tuple(ctx.process(session, version_id).user_tasks())
