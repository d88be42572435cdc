"""Jinja filters that turn engine values into what people read: local times, due texts, answers, names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, g
from flask_babel import format_date, format_datetime, gettext
from sqlalchemy import select

from engine.bpmn import FieldSpec
from engine.due_times import describe_due
from engine.models import Staff
from web.i18n import language

RISK_CLASSES = {"AKUT": "akut", "HOCH": "hoch", "MITTEL": "mittel", "NIEDRIG": "niedrig", "INFO": "info"}


def when(value: datetime | None) -> str:
    return format_datetime(value, "dd.MM.yyyy HH:mm") if value else "–"


def due(value: datetime | None) -> dict[str, str]:
    context = current_app.extensions["lotse"]
    text = describe_due(context.calendar, value, context.clock.now())
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
        return ", ".join(labels.get(item, str(item)) for item in values)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return format_date(value, "dd.MM.yyyy")
    return str(value)


def who(username: str | None) -> str:
    """Display name of a staff member; the username when unknown."""
    if not username:
        return "–"
    names = g.get("staff_names")
    if names is None:
        context = current_app.extensions["lotse"]
        with context.unit_of_work(writes=False) as session:
            names = {
                row.username: row.display_name
                for row in session.execute(select(Staff.username, Staff.display_name))
            }
        g.staff_names = names
    return names.get(username, username)


def group(name: str | None) -> str:
    """A candidate group as people call it."""
    labels = {
        "beratung": gettext("Beratung"),
        "teamleitung": gettext("Teamleitung"),
        "prozessverantwortung": gettext("Prozessverantwortung"),
        "administration": gettext("Administration"),
    }
    return labels.get(name or "", name or "–")


def risk_class(level: str | None) -> str:
    return RISK_CLASSES.get(level or "", "none")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        when=when, due=due, answer=answer, who=who, group=group, risk_class=risk_class
    )
