"""The inbox's "E-Mail sichten" rows: messages waiting in triage, above the tasks of cases on a tab's first page."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from engine.channels.intake_tasks import INTAKE_GROUP, STEP, IntakeTasks, intake_tasks, takes_intake
from engine.inbox.query import InboxFilter
from engine.kernel.actor import Actor
from web.formatting import group, when

ROW_TABS = ("mine", "groups", "all")  # intake tasks have no due date: never overdue


@dataclass(frozen=True)
class IntakePart:
    counts: dict[str, int] = field(default_factory=dict)  # added to the tabs' counts
    rows: Markup = field(default_factory=Markup)
    shown: int = 0  # how many of the tab's intake tasks the page lists (all of them, or the first ones)
    waiting: int = 0  # how many the tab has


def intake_part(connection, actor: Actor, wanted: InboxFilter, lang: str, form: str) -> IntakePart:
    """The intake tasks' counts and, on the first page of a tab without filters that exclude them (they
    have no risk level, Land or step of a case, and no due date), their rows; ``form`` is the page's
    actions form their buttons belong to."""
    if not takes_intake(actor):
        return IntakePart()
    applies = (
        wanted.tab in ROW_TABS
        and not (wanted.risk or wanted.land or wanted.step)
        and wanted.due in (None, "none")
    )
    listed = applies and wanted.page == 1
    found = intake_tasks(connection, actor, wanted.tab, with_rows=listed)
    waiting = found.counts.get(wanted.tab, 0) if applies else 0
    return IntakePart(found.counts, _rows(found, actor, lang, form), len(found.rows), waiting)


def _rows(found: IntakeTasks, actor: Actor, lang: str, form: str) -> Markup:
    if not found.rows:
        return Markup("")
    page = url_for("channels.message_page", message_id=0).rsplit("/", 1)[0] + "/"
    no_case = escape(gettext("noch kein Fall"))
    received = gettext("Eingang")
    no_due = escape(gettext("ohne Frist"))
    in_group = f'<span class="muted">{escape(gettext("Gruppe"))} {escape(group(INTAKE_GROUP))}</span>'
    claim, release = escape(gettext("Übernehmen")), escape(gettext("Freigeben"))
    parts = []
    for task in found.rows:
        number = task.message_id
        if task.assignee is None:
            action = _button(form, f"{page}{number}/uebernehmen", claim, "small")
        elif task.assignee == actor.username or actor.is_team_lead:
            action = _button(form, f"{page}{number}/freigeben", release, "small secondary")
        else:
            action = ""
        holder = escape(task.assignee_name or task.assignee) if task.assignee else in_group
        parts.append(
            f'<tr data-intake="{number}" data-step="{STEP}">\n'
            f'<td><span class="muted">{no_case}</span></td>\n'
            f'<td><a href="{page}{number}">{escape(task.title(lang))}</a>'
            f'<br><span class="muted">{escape(received)} {when(task.received_at)}</span></td>\n'
            f"<td>–</td>\n<td>–</td>\n"
            f'<td><span class="due">{no_due}</span></td>\n'
            f"<td>{holder}</td>\n<td>{action}</td>\n</tr>\n"
        )
    return Markup("".join(parts))


def _button(form: str, target: str, label: Markup, style: str) -> str:
    return f'<button class="{style}" type="submit" form="{form}" formaction="{target}">{label}</button>'
