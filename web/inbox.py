"""The start page: the task inbox with tabs, filters, sorting, paging; claim, release, reassign."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.cases import claim_task, reassign_task, release_task
from engine.errors import DomainError
from engine.inbox import RISK_LEVELS, InboxFilter, inbox_page, tabs_for
from engine.models import ProcessVersion, Staff
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("inbox", __name__)
FILTER_KEYS = ("tab", "risk", "step", "land", "due", "sort", "page")
LAENDER = ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH")


def _wanted(source) -> InboxFilter:
    page = source.get("page", "1")
    return InboxFilter(
        tab=source.get("tab") or "mine",
        risk=source.get("risk") or None,
        step=source.get("step") or None,
        land=source.get("land") or None,
        due=source.get("due") or None,
        sort=source.get("sort") or "due",
        page=int(page) if page.isdigit() else 1,
    )


def _render(wanted: InboxFilter) -> str:
    context = current_app.extensions["lotse"]
    actor = current_user.actor
    with context.unit_of_work(writes=False) as session:
        page = inbox_page(session, actor, wanted, context.clock.now(), context.calendar)
        version_id = _latest_version_id(session, "fallbearbeitung")
        steps = context.process(session, version_id).user_tasks() if version_id is not None else []
        colleagues = (
            session.execute(
                select(Staff.username, Staff.display_name, Staff.roles)
                .where(Staff.active.is_(True))
                .order_by(Staff.display_name)
            ).all()
            if actor.is_team_lead
            else []
        )
    template = "inbox/_list.html" if request.headers.get("HX-Request") else "inbox/inbox.html"
    return render_template(
        template,
        page=page,
        tabs=tabs_for(actor),
        steps=steps,
        risk_levels=RISK_LEVELS,
        laender=LAENDER,
        colleagues=colleagues,
        query={key: getattr(page.filter, key) for key in FILTER_KEYS if getattr(page.filter, key)},
    )


def _latest_version_id(session, key: str) -> int | None:
    """The id of the newest version of a process; the model itself (large) is not read per request."""
    return session.scalar(
        select(ProcessVersion.id)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


@blueprint.get("/")
@login_required
def inbox() -> str:
    return _render(_wanted(request.args))


def _after_action(wanted: InboxFilter) -> str | Response:
    if request.headers.get("HX-Request"):
        return _render(wanted)
    query = {key: getattr(wanted, key) for key in FILTER_KEYS if getattr(wanted, key)}
    return redirect(url_for("inbox.inbox", **query))


def _act(action, *args) -> bool:
    try:
        action(current_app.extensions["lotse"], current_user.actor, *args)
    except DomainError as refused:
        flash(refused.message(language()), "error")
        return False
    return True


@blueprint.post("/aufgaben/<task_id>/uebernehmen")
@login_required
def claim(task_id: str) -> str | Response:
    if _act(claim_task, task_id):
        flash(gettext("Aufgabe übernommen."), "success")
    return _after_action(_wanted(request.form))


@blueprint.post("/aufgaben/<task_id>/freigeben")
@login_required
def release(task_id: str) -> str | Response:
    if _act(release_task, task_id):
        flash(gettext("Aufgabe an die Gruppe zurückgegeben."), "success")
    return _after_action(_wanted(request.form))


@blueprint.post("/aufgaben/<task_id>/zuweisen")
@requires_role("teamleitung")
def reassign(task_id: str) -> str | Response:
    assignee = (request.form.get("assignee") or "").strip() or None
    if _act(reassign_task, task_id, assignee):
        flash(gettext("Aufgabe neu zugewiesen."), "success")
    return _after_action(_wanted(request.form))
