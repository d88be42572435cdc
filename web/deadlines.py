"""Team leads: every deadline that is overdue or due within three working days, and who carries it."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from engine.deadlines.board import HORIZON_WORKING_DAYS, STRAFANTRAG_HORIZON_DAYS, read_deadline_board
from web.auth import requires_role

blueprint = Blueprint("deadlines", __name__)


@blueprint.get("/fristen")
@requires_role("teamleitung")
def board() -> str:
    context = current_app.extensions["lotse"]
    found = read_deadline_board(context, context.clock.now())
    return render_template(
        "deadlines/board.html",
        board=found,
        days=HORIZON_WORKING_DAYS,
        legal_days=STRAFANTRAG_HORIZON_DAYS,
        today=context.clock.now().astimezone(context.calendar.tz).date(),
    )
