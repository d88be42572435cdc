"""A status page that proves the engine is wired: deployed processes, open cases and tasks."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import login_required
from sqlalchemy import func, select

from engine.store.tables import Case, ProcessVersion, Task

blueprint = Blueprint("status", __name__)


@blueprint.get("/status")
@login_required
def status() -> str:
    context = current_app.extensions["lotse"]
    with context.unit_of_work(writes=False) as session:
        facts = {
            "processes": session.execute(
                select(ProcessVersion.key, func.max(ProcessVersion.version)).group_by(ProcessVersion.key)
            ).all(),
            "open_cases": session.scalar(select(func.count()).select_from(Case).where(Case.status == "open")),
            "closed_cases": session.scalar(
                select(func.count()).select_from(Case).where(Case.status == "closed")
            ),
            "open_tasks": session.scalar(select(func.count()).select_from(Task).where(Task.status == "open")),
            "by_risk": session.execute(
                select(Case.risk_level, func.count())
                .where(Case.status == "open")
                .group_by(Case.risk_level)
                .order_by(Case.risk_level)
            ).all(),
            "by_step": session.execute(
                select(Task.title, func.count())
                .where(Task.status == "open")
                .group_by(Task.title)
                .order_by(Task.title)
            ).all(),
        }
    return render_template("status.html", **facts)
