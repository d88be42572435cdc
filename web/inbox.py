"""The start page: the task inbox with tabs, filters, sorting, paging; claim, release, reassign."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.laender import LAENDER
from engine.cases.lifecycle import claim_task, reassign_task, release_task
from engine.deadlines.due_times import describe_due
from engine.inbox.acute import ACUTE
from engine.inbox.query import RISK_LEVELS, InboxFilter, InboxRow, inbox_page, tabs_for
from engine.inbox.steps import ProcessSteps, process_steps
from engine.kernel.actor import Actor
from engine.kernel.errors import DomainError, OutsideNeedToKnow
from engine.kernel.numbers import whole_number
from engine.staff.absence import covered_tasks
from engine.staff.accounts import active_colleagues
from web.auth import requires_role
from web.formatting import group, risk_class, when
from web.i18n import language
from web.inbox_labels import escaped_labels, labels
from web.intake_rows import intake_part
from web.page_frame import csrf_token, fixed_urls, is_fragment_request
from web.request_scope import reading
from web.task_counts import shared_counts

blueprint = Blueprint("inbox", __name__)
FILTER_KEYS = ("tab", "risk", "step", "land", "due", "sort", "page")


def wanted_view(source) -> InboxFilter:
    return InboxFilter(
        tab=source.get("tab") or "mine",
        risk=source.get("risk") or None,
        step=source.get("step") or None,
        land=source.get("land") or None,
        due=source.get("due") or None,
        sort=source.get("sort") or "due",
        page=whole_number(source.get("page"), 1) or 1,
    )


PROCESS_KEY = "fallbearbeitung"  # the process whose steps the step filter offers
URL_SAFE = "!$'()*,/:;?@"  # what url_for leaves unquoted in a query string
PLACEHOLDER = "__task__"  # stands for a task id in URL patterns built once per page


class RowLinks:
    """URL patterns built once per app (see ``row_links``); a row only fills in its ids."""

    def __init__(self) -> None:
        self.case = url_for("cases.case_page", case_id=0).rsplit("/", 1)[0] + "/"
        self.task = url_for("tasks.task_page", task_id=PLACEHOLDER)
        self.claim = url_for("inbox.claim", task_id=PLACEHOLDER)
        self.release = url_for("inbox.release", task_id=PLACEHOLDER)
        self.assign = url_for("inbox.reassign", task_id=PLACEHOLDER)


def row_links() -> RowLinks:
    """The ``RowLinks`` for the request's script root (where the app is mounted)."""
    known = current_app.extensions.setdefault("lotse_inbox_links", {})
    found = known.get(request.script_root)
    if found is None:
        found = known[request.script_root] = RowLinks()
    return found


def _render(wanted: InboxFilter) -> str:
    context = current_app.extensions["lotse"]
    actor = current_user.actor
    now = context.clock.now()
    connection = reading()
    fragment = is_fragment_request()
    try:
        page = inbox_page(
            connection,
            actor,
            wanted,
            now,
            context.calendar,
            shared_counts(),
            PROCESS_KEY,
            with_acute=not fragment,
        )
        steps = _steps(connection, page.process_version_id)
        colleagues = active_colleagues(connection) if actor.is_team_lead else []
        intake = intake_part(connection, actor, page.filter, language(), ACTIONS_FORM)
    finally:
        connection.rollback()
    covered = covered_tasks(context, actor.username, now) if actor.covering else []
    lang = language()
    chosen = page.filter
    query = {key: getattr(chosen, key) for key in FILTER_KEYS if getattr(chosen, key)}
    here = fixed_urls()["inbox.inbox"]
    if not fragment:
        g.lotse_acute_alert = page.acute  # counted with the tabs: the header shows it (web.acute_alert)
    template = "inbox/_list.html" if fragment else "inbox/inbox.html"
    rows, assignees = _rows_html(page.rows, actor, colleagues, context.calendar, now, lang, steps)
    return render_template(
        template,
        page=page,
        rows=rows,
        assignees=assignees,
        actions_form=ACTIONS_FORM,
        hidden_fields=Markup(_hidden_fields(query)),
        is_team_lead=actor.is_team_lead,
        tabs=[
            (tab, f"{here}?tab={tab}", page.counts[tab] + intake.counts.get(tab, 0))
            for tab in tabs_for(actor)
        ],
        intake=intake,
        t=labels(lang),
        inbox_url=here,
        refresh_url=_with_query(here, query),
        risk_options=_options_html(RISK_CHOICES, chosen.risk),
        step_options=_step_options_html(steps, chosen.step, lang),
        land_options=_options_html(LAND_CHOICES, chosen.land),
        previous_url=_with_query(here, {**query, "page": chosen.page - 1}) if chosen.page > 1 else None,
        next_url=_with_query(here, {**query, "page": chosen.page + 1}) if chosen.page < page.pages else None,
        query=query,
        covered=covered,
    )


def _hidden_fields(query: dict[str, object]) -> str:
    """The fields every action form carries: the CSRF token and the list's filters, to come back to them."""
    fields = [("csrf_token", csrf_token()), *query.items()]
    return "".join(f'<input type="hidden" name="{key}" value="{escape(value)}">' for key, value in fields)


def _with_query(path: str, query: dict[str, object]) -> str:
    """``path`` with ``query`` as url_for writes it (keys in the order given)."""
    return f"{path}?{urlencode(list(query.items()), safe=URL_SAFE)}" if query else path


RISK_CHOICES = tuple((level, level) for level in RISK_LEVELS)
LAND_CHOICES = tuple((land, land) for land in LAENDER)


@lru_cache(maxsize=512)
def _options_html(choices: tuple[tuple[str, str], ...], chosen: str | None) -> Markup:
    """A filter's options, the chosen one selected (kept: the choices are few and fixed per process)."""
    return Markup(
        "".join(
            f'<option value="{escape(value)}" {"selected" if value == chosen else ""}>{escape(label)}</option>'
            for value, label in choices
        )
    )


def _step_options_html(steps: ProcessSteps, chosen: str | None, lang: str) -> Markup:
    """The step filter's options in two groups: counselling steps, then the team leads' escalations."""
    work, escalations = steps.groups(lang)
    if not work and not escalations:
        return Markup("")
    t = escaped_labels(lang)
    return Markup(
        f'<optgroup label="{t["steps_work"]}">{_options_html(work, chosen)}</optgroup>'
        + (
            f'<optgroup label="{t["steps_escalation"]}">{_options_html(escalations, chosen)}</optgroup>'
            if escalations
            else ""
        )
    )


def _steps(connection, version_id: int | None) -> ProcessSteps:
    """The user tasks of a process version for the step filter and the rows' English titles, worked
    out once per app and version."""
    if version_id is None:
        return ProcessSteps()
    known = current_app.extensions.setdefault("lotse_inbox_steps", {})
    found = known.get(version_id)
    if found is None:
        found = known[version_id] = process_steps(current_app.extensions["lotse"], connection, version_id)
    return found


class Escaped(dict[str | None, str]):
    """Values escaped for HTML, each once: ``escaped[value]``."""

    def __missing__(self, value: str) -> str:
        found = self[value] = str(escape(value))
        return found


ACTIONS_FORM = "inbox-actions"  # the one form of a page whose fields every row's buttons send


def _rows_html(
    rows: list[InboxRow],
    actor: Actor,
    colleagues: list[tuple[str, str, frozenset[str]]],
    calendar: BusinessCalendar,
    now: datetime,
    lang: str,
    steps: ProcessSteps,
) -> tuple[Markup, Markup]:
    """The table rows and the reassign choices they refer to, written here rather than in the template:
    they are most of the page, and an f-string escapes each value once where Jinja would make a Markup
    object of every piece.

    A row's buttons belong to the page's one actions form (``ACTIONS_FORM``) and name their own URL
    (``formaction``), so the CSRF token and the list's filters travel in the page once. A team lead
    types or picks the new assignee in a field that suggests the colleagues of the task's candidate
    group from one ``<datalist>`` per group.
    """
    t = escaped_labels(lang)
    links = row_links()
    groups: dict[str | None, str] = {}
    choices: dict[str | None, str] = {}  # candidate group → id of its datalist
    claim_button = f'<button class="small" type="submit" form="{ACTIONS_FORM}" formaction="{links.claim}">{t["claim"]}</button>'
    release_button = f'<button class="small secondary" type="submit" form="{ACTIONS_FORM}" formaction="{links.release}">{t["release"]}</button>'
    assign = (
        f'<span class="assign"><label class="sr-only" for="assign-{PLACEHOLDER}">{t["assign_to"]}</label>'
        f'<input type="text" class="assignee" id="assign-{PLACEHOLDER}" name="assignee-{PLACEHOLDER}" '
        f'form="{ACTIONS_FORM}" list="__list__" value="__value__" placeholder="{t["group"]}" autocomplete="off">'
        f'<button class="small secondary" type="submit" form="{ACTIONS_FORM}" formaction="{links.assign}">'
        f"{t['assign']}</button></span>"
    )
    escalated = f'<br><span class="escalated">{t["escalated"]}</span>'
    html = Escaped()  # steps, Länder, risk levels, due texts and names repeat from row to row
    html[None] = t["open"]
    parts = []
    for row in rows:
        task_id = escape(row.task_id)
        due = describe_due(calendar, row.due_at, now, clock_time=row.risk_level == ACUTE)
        case_note = escalated if row.case_escalated else ""
        if row.priority >= 80:
            priority = f'<br><span class="muted">{t["priority"]} {row.priority}</span>'
        else:
            priority = ""
        if row.assignee:
            assignee = html[row.assignee_name or row.assignee]
        else:
            if row.candidate_group not in groups:
                groups[row.candidate_group] = escape(group(row.candidate_group))
            assignee = f'<span class="muted">{t["group"]} {groups[row.candidate_group]}</span>'
        if row.assignee is None:
            action = claim_button.replace(PLACEHOLDER, task_id)
        elif row.assignee == actor.username or actor.is_team_lead:
            action = release_button.replace(PLACEHOLDER, task_id)
        else:
            action = ""
        if actor.is_team_lead:
            if row.candidate_group not in choices:
                choices[row.candidate_group] = f"assignees-{len(choices) + 1}"
            action += (
                assign.replace(PLACEHOLDER, task_id)
                .replace("__list__", choices[row.candidate_group], 1)
                .replace("__value__", html[row.assignee or ""], 1)
            )
        parts.append(
            f'<tr data-task="{task_id}" data-step="{html[row.element_id]}">\n'
            f'<td><a href="{links.case}{row.case_id}">{escape(row.reference or row.case_id)}</a>{case_note}</td>\n'
            f'<td><a href="{links.task.replace(PLACEHOLDER, task_id)}">{html[steps.title(row.element_id, row.title, lang)]}</a>{priority}</td>\n'
            f'<td><span class="risk {risk_class(row.risk_level)}">{html[row.risk_level or None]}</span></td>\n'
            f"<td>{html[row.land or '–']}</td>\n"
            f'<td><span class="due {due.state}" title="{when(row.due_at)}">{html[due.text(lang)]}</span></td>\n'
            f"<td>{assignee}</td>\n"
            f"<td>{action}</td>\n</tr>\n"
        )
    lists = "".join(
        f'<datalist id="{list_id}">{_options(colleagues, group_name)}</datalist>'
        for group_name, list_id in choices.items()
    )
    return Markup("".join(parts)), Markup(lists)


def _options(colleagues: list[tuple[str, str, frozenset[str]]], group: str | None) -> str:
    """The reassign suggestions for tasks of one candidate group: usernames, labelled with names."""
    return "".join(
        f'<option value="{escape(username)}">{escape(name)}</option>'
        for username, name, roles in colleagues
        if not group or group in roles
    )


# Where people who take no cases start: their own work, not an empty task list.
START_PAGES = (("prozessverantwortung", "processes.overview"), ("administration", "staff_admin.staff_list"))
WORKS_ON_TASKS = frozenset({"beratung", "teamleitung"})


@blueprint.get("/")
@login_required
def inbox() -> str | Response:
    groups = current_user.actor.groups
    if not groups & WORKS_ON_TASKS:
        for role, endpoint in START_PAGES:
            if role in groups:
                return redirect(url_for(endpoint))
    return _render(wanted_view(request.args))


inbox.reuses_reading = True  # type: ignore[attr-defined]  # the page reads where the user loader did


def after_inbox_action(wanted: InboxFilter) -> str | Response:
    if is_fragment_request():
        return _render(wanted)
    query = {key: getattr(wanted, key) for key in FILTER_KEYS if getattr(wanted, key)}
    return redirect(url_for("inbox.inbox", **query))


def _act(action, *args) -> bool:
    try:
        action(current_app.extensions["lotse"], current_user.actor, *args)
    except OutsideNeedToKnow:
        raise  # 403 from the error handler: nothing about a task of a case the person may not see
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
    return after_inbox_action(wanted_view(request.form))


@blueprint.post("/aufgaben/<task_id>/freigeben")
@login_required
def release(task_id: str) -> str | Response:
    if _act(release_task, task_id):
        flash(gettext("Aufgabe an die Gruppe zurückgegeben."), "success")
    return after_inbox_action(wanted_view(request.form))


@blueprint.post("/aufgaben/<task_id>/zuweisen")
@requires_role("teamleitung")
def reassign(task_id: str) -> str | Response:
    chosen = request.form.get(f"assignee-{task_id}", request.form.get("assignee"))
    assignee = (chosen or "").strip() or None
    if _act(reassign_task, task_id, assignee):
        flash(gettext("Aufgabe neu zugewiesen."), "success")
    back = request.form.get("zurueck", "")
    if back.startswith("/aufgaben/") and "//" not in back:  # from an escalation task: back to it
        return redirect(back)
    return after_inbox_action(wanted_view(request.form))
