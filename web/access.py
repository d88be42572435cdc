"""Access beyond need to know and discarding: a case's glimpse, asking for access, Notfallzugriff (break-glass)
with a reason, the team leads' list of emergency accesses, and "Fall verwerfen" with a confirmation page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.cases.break_glass import ReasonMissing, break_glass, glimpse_case, list_grants, request_access
from engine.cases.discard import DiscardRefused, discard_case, discardable
from engine.kernel.errors import ConcurrentUpdate
from web.auth import requires_role
from web.i18n import language
from web.task_counts import shared_counts

blueprint = Blueprint("access", __name__)
COUNSELS = ("beratung", "teamleitung")


def _context():
    return current_app.extensions["lotse"]


@blueprint.get("/faelle/<int:case_id>/zugang")
@requires_role(*COUNSELS)
def glimpse(case_id: int) -> str | Response:
    """What a counsellor outside the case's need to know may see of it, and her two ways in."""
    found = glimpse_case(_context(), current_user.actor, case_id)
    if found.accessible:
        return redirect(url_for("cases.case_page", case_id=case_id))
    return render_template("access/glimpse.html", glimpse=found, reason="", error=None)


def glimpse_page(case_id: int) -> str:
    """The glimpse in place of a refused case or task page (``web.errors``)."""
    found = glimpse_case(_context(), current_user.actor, case_id)
    return render_template("access/glimpse.html", glimpse=found, reason="", error=None)


@blueprint.post("/faelle/<int:case_id>/zugang/anfragen")
@requires_role(*COUNSELS)
def ask(case_id: int) -> Response:
    request_access(_context(), current_user.actor, case_id)
    flash(gettext("Ihre Anfrage wurde per E-Mail verschickt."), "success")
    return redirect(url_for("access.glimpse", case_id=case_id))


@blueprint.post("/faelle/<int:case_id>/notfallzugriff")
@requires_role(*COUNSELS)
def emergency(case_id: int) -> str | Response | tuple[str, int]:
    context, actor = _context(), current_user.actor
    reason = request.form.get("grund", "")
    try:
        until = break_glass(context, actor, case_id, reason)
    except ReasonMissing as refused:
        found = glimpse_case(context, actor, case_id)
        page = render_template(
            "access/glimpse.html", glimpse=found, reason=reason, error=refused.message(language())
        )
        return page, 422
    shared_counts().clear()
    flash(
        gettext(
            "Notfallzugriff bis %(until)s. Die Teamleitung wurde benachrichtigt.",
            until=current_app.jinja_env.filters["when"](until),
        ),
        "success",
    )
    return redirect(url_for("cases.case_page", case_id=case_id))


@blueprint.get("/verwaltung/notfallzugriffe")
@requires_role("teamleitung")
def grants() -> str:
    return render_template("access/grants.html", grants=list_grants(_context(), current_user.actor))


@blueprint.route("/faelle/<int:case_id>/verwerfen", methods=["GET", "POST"])
@requires_role(*COUNSELS)
def discard(case_id: int) -> str | Response | tuple[str, int]:
    """A confirmation page with the reason field; posting it discards the case."""
    context, actor = _context(), current_user.actor
    state = discardable(context, actor, case_id)
    if request.method == "GET":
        return render_template("access/discard.html", case_id=case_id, state=state, reason="", error=None)
    reason = request.form.get("grund", "")
    try:
        discard_case(context, actor, case_id, reason)
    except (DiscardRefused, ConcurrentUpdate) as refused:
        page = render_template(
            "access/discard.html",
            case_id=case_id,
            state=discardable(context, actor, case_id),
            reason=reason,
            error=refused.message(language()),
        )
        return page, 422
    shared_counts().clear()
    flash(gettext("Fall %(reference)s verworfen.", reference=state.reference), "success")
    return redirect(url_for("inbox.inbox"))
