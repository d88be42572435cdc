"""Jinja filters that turn engine values into what people read: local times, due texts, answers, names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, current_app, g
from flask_babel import format_date, gettext, lazy_gettext

from engine.bpmn.tasks import FieldSpec
from engine.calendar.business_calendar import BERLIN
from engine.deadlines.due_times import describe_due
from engine.staff.accounts import staff_names
from engine.strafantrag.periods import offence_label
from web.i18n import language

RISK_CLASSES = {"AKUT": "akut", "HOCH": "hoch", "MITTEL": "mittel", "NIEDRIG": "niedrig", "INFO": "info"}


def when(value: datetime | None) -> str:
    """A moment as Berlin wall time, "dd.mm.yyyy hh:mm" (naive values from SQLite are UTC)."""
    if not value:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def due(value: datetime | None, clock_time: bool = False) -> dict[str, str]:
    """The inbox's rule: working-time deadlines in working time, calendar-time (AKUT) ones in clock time."""
    context = current_app.extensions["lotse"]
    text = describe_due(context.calendar, value, context.clock.now(), clock_time)
    return {"text": text.text(language()), "state": text.state}


def answer(field: FieldSpec, value: Any) -> str:
    """A stored form value as the person who typed it would say it."""
    if value is None or value == "" or value == []:
        return "–"
    if field.type == "boolean":
        return gettext("Ja") if value else gettext("Nein")
    if field.type == "enum":
        labels = dict(field.options)
        values = value if isinstance(value, list | tuple) else [value]
        lang = language()
        return ", ".join(field.option_in(item, labels.get(item, str(item)), lang) for item in values)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return format_date(value, "dd.MM.yyyy")
    return str(value)


def day(value: date | None) -> str:
    return format_date(value, "dd.MM.yyyy") if value is not None else "–"


def offence(code: str) -> str:
    return offence_label(code, language())


SYSTEM_NAMES = {
    "system:mail-intake": lazy_gettext("E-Mail-Eingang"),
    "system:kontakt": lazy_gettext("Kontaktformular"),
}


def who(username: str | None) -> str:
    """Display name of a staff member (or of Lotse's intake); the username when unknown."""
    if not username:
        return "–"
    if username in SYSTEM_NAMES:
        return str(SYSTEM_NAMES[username])
    names = g.get("staff_names")
    if names is None:
        names = g.staff_names = staff_names(current_app.extensions["lotse"])
    return names.get(username, username)


GROUP_LABELS = {
    "beratung": lazy_gettext("Beratung"),
    "teamleitung": lazy_gettext("Teamleitung"),
    "prozessverantwortung": lazy_gettext("Prozessverantwortung"),
    "administration": lazy_gettext("Administration"),
    "berichte": lazy_gettext("Berichte (nur lesen)"),
}


def group(name: str | None) -> str:
    """A candidate group as people call it."""
    label = GROUP_LABELS.get(name or "")
    return str(label) if label is not None else (name or "–")


def recipient(address: str | None) -> str:
    """Where a message goes, as people say it: a colleague's name, a group, or a service's address (a
    person's address stays sealed)."""
    kind, _, name = (address or "").partition(":")
    if kind == "staff" and name:
        return who(name)
    if kind == "group" and name:
        return gettext("Gruppe %(name)s", name=group(name))
    if kind == "person":
        return gettext("die Person des Falls")
    return address or "–"


def risk_class(level: str | None) -> str:
    return RISK_CLASSES.get(level or "", "none")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        when=when,
        day=day,
        offence=offence,
        due=due,
        answer=answer,
        who=who,
        group=group,
        recipient=recipient,
        risk_class=risk_class,
    )
