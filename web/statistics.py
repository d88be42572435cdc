"""/statistik: the report for a chosen period (team leads and the reporting role), its exports (CSV, XLSX, PDF)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from engine.statistics import exports
from engine.statistics.period_choice import KINDS, choose
from engine.statistics.publication import read_report, report_for_export
from engine.statistics.translation import in_language
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("statistics", __name__)
READERS = ("teamleitung", "berichte")
FORMS = {
    "csv": ("text/csv", exports.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.to_xlsx),
    "pdf": ("application/pdf", exports.to_pdf),
}


def _choice() -> Any:
    context = current_app.extensions["lotse"]
    return choose(request.args, context.clock.now().astimezone(context.calendar.tz).date())


@blueprint.get("/statistik")
@requires_role(*READERS)
def page() -> str | tuple[str, int]:
    context, actor = current_app.extensions["lotse"], current_user.actor
    choice = _choice()
    internal = request.args.get("intern") == "1" and actor.is_team_lead
    errors = {name: pair[0] if language() == "de" else pair[1] for name, pair in choice.errors.items()}
    report = read_report(context, actor, choice.period, internal) if choice.period else None
    report = in_language(report, language()) if report else None
    html = render_template(
        "statistics/page.html",
        choice=choice,
        kinds=KINDS,
        errors=errors,
        report=report,
        internal=internal,
        may_see_internal=actor.is_team_lead,
        query=_query(choice),
    )
    return (html, 422) if errors else html


@blueprint.get("/statistik/export.<form>")
@requires_role(*READERS)
def export(form: str) -> Response | tuple[str, int]:
    if form not in FORMS:
        return "", 404
    choice = _choice()
    if choice.period is None:
        return page()
    mimetype, render = FORMS[form]
    report = report_for_export(current_app.extensions["lotse"], current_user.actor, choice.period, form)
    report = in_language(report, language())
    name = f"statistik-{choice.period.first.isoformat()}-{choice.period.last.isoformat()}.{form}"
    return Response(
        render(report), mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


def _query(choice: Any) -> dict[str, str]:
    """The chosen period as query arguments for the export links (never ``intern``)."""
    query = {"art": choice.kind, "jahr": str(choice.year), "nummer": str(choice.number)}
    if choice.kind == "frei":
        query.update(von=choice.first, bis=choice.last)
    return query
