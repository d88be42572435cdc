"""A status page that proves the engine is wired: deployed processes, open cases and tasks."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from engine.processes.status import engine_status

blueprint = Blueprint("status", __name__)


@blueprint.get("/status")
@login_required
def status() -> str:
    return render_template("status.html", **asdict(engine_status(current_app.extensions["lotse"])))
