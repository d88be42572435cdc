"""A status page that proves the engine is wired: deployed processes, open cases and tasks."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from engine.cases.step_failures import may_retry, open_failures
from engine.processes.status import engine_status

blueprint = Blueprint("status", __name__)


@blueprint.get("/status")
@login_required
def status() -> str:
    context, actor = current_app.extensions["lotse"], current_user.actor
    failures = open_failures(context, actor) if may_retry(actor) else None  # team leads, process owners
    return render_template("status.html", failures=failures, **asdict(engine_status(context)))
