"""The start page: the task inbox with tabs, filters, sorting, paging; claim, release, reassign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.business_calendar import BusinessCalendar
from engine.cases import Actor, claim_task, reassign_task, release_task
from engine.due_times import describe_due
from engine.errors import DomainError
from engine.inbox import RISK_LEVELS, InboxFilter, InboxRow, SharedCounts, inbox_page, tabs_for
from engine.models import Staff
from web.auth import requires_role
from web.formatting import when
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


PROCESS_KEY = "fallbearbeitung"  # the process whose steps the step filter offers
PLACEHOLDER = "__task__"  # stands for a task id in URL patterns built once per page


@dataclass(frozen=True)
class RowView:
    """One inbox row with its links, due text and actions worked out once in Python, not per template call."""

    row: InboxRow
    case_url: str
    task_url: str
    due_text: str
    due_state: str
    due_title: str
    action: str | None  # "claim", "release" or None
    action_url: str
    assign_url: str
    options: Markup


class RowLinks:
    """URL patterns built once per page; a row only fills in its ids."""

    def __init__(self) -> None:
        self.case = url_for("cases.case_page", case_id=0).rsplit("/", 1)[0] + "/"
        self.task = url_for("tasks.task_page", task_id=PLACEHOLDER)
        self.claim = url_for("inbox.claim", task_id=PLACEHOLDER)
        self.release = url_for("inbox.release", task_id=PLACEHOLDER)
        self.assign = url_for("inbox.reassign", task_id=PLACEHOLDER)


def _render(wanted: InboxFilter) -> str:
    context = current_app.extensions["lotse"]
    actor = current_user.actor
    now = context.clock.now()
    with context.unit_of_work(writes=False) as session:
        page = inbox_page(session, actor, wanted, now, context.calendar, shared_counts(), PROCESS_KEY)
        version_id = page.process_version_id
        steps = context.process(session, version_id).user_tasks() if version_id is not None else []
        colleagues = _colleagues(session) if actor.is_team_lead else []
    template = "inbox/_list.html" if request.headers.get("HX-Request") else "inbox/inbox.html"
    return render_template(
        template,
        page=page,
        rows=_row_views(page.rows, actor, colleagues, context.calendar, now),
        is_team_lead=actor.is_team_lead,
        tabs=tabs_for(actor),
        steps=steps,
        risk_levels=RISK_LEVELS,
        laender=LAENDER,
        query={key: getattr(page.filter, key) for key in FILTER_KEYS if getattr(page.filter, key)},
    )


def shared_counts() -> SharedCounts:
    """The tab counts this process shares between the members of a team (see ``SharedCounts``)."""
    extensions = current_app.extensions
    if "lotse_inbox_counts" not in extensions:
        extensions["lotse_inbox_counts"] = SharedCounts(
            current_app.config.get("LOTSE_INBOX_COUNT_SECONDS", 5.0)
        )
    return extensions["lotse_inbox_counts"]


COLLEAGUES = (
    select(Staff.username, Staff.display_name, Staff.roles)
    .where(Staff.active.is_(True))
    .order_by(Staff.display_name)
)


def _colleagues(session) -> list[tuple[str, str, frozenset[str]]]:
    found = session.connection().execute(COLLEAGUES).all()
    return [(username, name, frozenset(roles.split())) for username, name, roles in found]


def _row_views(
    rows: list[InboxRow],
    actor: Actor,
    colleagues: list[tuple[str, str, frozenset[str]]],
    calendar: BusinessCalendar,
    now: datetime,
) -> list[RowView]:
    links = RowLinks()
    lang = language()
    options_by_group: dict[str | None, str] = {}
    views = []
    for row in rows:
        due = describe_due(calendar, row.due_at, now)
        if row.assignee is None:
            action, action_pattern = "claim", links.claim
        elif row.assignee == actor.username or actor.is_team_lead:
            action, action_pattern = "release", links.release
        else:
            action, action_pattern = None, ""
        options = ""
        if actor.is_team_lead:
            if row.candidate_group not in options_by_group:
                options_by_group[row.candidate_group] = _options(colleagues, row.candidate_group)
            options = options_by_group[row.candidate_group]
            if row.assignee:
                chosen = f'value="{escape(row.assignee)}">'
                options = options.replace(chosen, chosen[:-1] + " selected>", 1)
        views.append(
            RowView(
                row=row,
                case_url=f"{links.case}{row.case_id}",
                task_url=links.task.replace(PLACEHOLDER, row.task_id),
                due_text=due.text(lang),
                due_state=due.state,
                due_title=when(row.due_at),
                action=action,
                action_url=action_pattern.replace(PLACEHOLDER, row.task_id),
                assign_url=links.assign.replace(PLACEHOLDER, row.task_id),
                options=Markup(options),
            )
        )
    return views


def _options(colleagues: list[tuple[str, str, frozenset[str]]], group: str | None) -> str:
    """The reassign choices for tasks of one candidate group, rendered once per page."""
    return "".join(
        f'<option value="{escape(username)}">{escape(name)}</option>'
        for username, name, roles in colleagues
        if not group or group in roles
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
    finally:
        shared_counts().clear()
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
