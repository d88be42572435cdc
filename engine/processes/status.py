"""What runs: the deployed processes, open and closed cases, open tasks by risk level and by step."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.kernel.context import EngineContext
from engine.store.tables import Case, ProcessVersion, Task


@dataclass(frozen=True)
class EngineStatus:
    processes: list[tuple[str, int]]  # (key, latest version)
    open_cases: int
    closed_cases: int
    open_tasks: int
    by_risk: list[tuple[str | None, int]]  # open cases per risk level, not yet assessed as None
    by_step: list[tuple[str, int]]  # open tasks per step title


def engine_status(ctx: EngineContext) -> EngineStatus:
    """The figures of the status page, which proves the engine is wired."""
    with ctx.unit_of_work(writes=False) as session:
        return EngineStatus(
            processes=[
                (key, version)
                for key, version in session.execute(
                    select(ProcessVersion.key, func.max(ProcessVersion.version)).group_by(ProcessVersion.key)
                )
            ],
            open_cases=session.scalar(select(func.count()).select_from(Case).where(Case.status == "open"))
            or 0,
            closed_cases=session.scalar(select(func.count()).select_from(Case).where(Case.status == "closed"))
            or 0,
            open_tasks=session.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
            or 0,
            by_risk=[
                (level, count)
                for level, count in session.execute(
                    select(Case.risk_level, func.count())
                    .where(Case.status == "open")
                    .group_by(Case.risk_level)
                    .order_by(Case.risk_level)
                )
            ],
            by_step=[
                (title, count)
                for title, count in session.execute(
                    select(Task.title, func.count())
                    .where(Task.status == "open")
                    .group_by(Task.title)
                    .order_by(Task.title)
                )
            ],
        )
