"""Text templates for answers: team leads keep them, a counsellor fills one into a reply from the case page.

A template may name only the known placeholders ({anrede}, {name}, {fallnummer}, {berater}); anything else
(an unknown name, a format spec, a lone brace) is refused at save time with a message naming it. Filling
reads the case's facts inside the need-to-know check: the person's name only for a confidential case.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from engine.cases.need_to_know import require_case_access
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotPermitted
from engine.person.privacy import person_facts
from engine.store.channel_tables import ReplyTemplate
from engine.store.tables import Case, Staff

PLACEHOLDERS = ("anrede", "name", "fallnummer", "berater")
MAX_TITLE = 120
MAX_BODY = 20_000
_ALLOWED = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


class TemplateInvalid(DomainError):
    """``errors`` maps a field (titel, text) to (German, English)."""

    code = "template_invalid"

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m[0] for m in errors.values()), " ".join(m[1] for m in errors.values()))


@dataclass(frozen=True)
class Template:
    id: int
    title: str
    body: str
    updated_at: datetime
    updated_by: str


def placeholder_errors(body: str) -> list[tuple[str, str]]:
    """What is wrong with the placeholders of ``body`` (empty when all are known)."""
    try:
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(body) if name is not None
        ]
    except ValueError:
        return [
            (
                "Eine geschweifte Klammer steht allein. Platzhalter schreiben Sie so: " + _ALLOWED
                + "; eine Klammer als Zeichen doppelt: {{ oder }}.",
                "A curly brace stands alone. Write placeholders like this: " + _ALLOWED
                + "; a brace as a character doubled: {{ or }}.",
            )
        ]  # fmt: skip
    errors = []
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS or spec or conv:
            shown = "{" + name + ("!" + conv if conv else "") + (":" + spec if spec else "") + "}"
            errors.append(
                (
                    f"Unbekannter Platzhalter {shown}. Erlaubt sind: {_ALLOWED}.",
                    f"Unknown placeholder {shown}. Allowed are: {_ALLOWED}.",
                )
            )
    return errors


def templates(ctx: EngineContext) -> list[Template]:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)).all()
        return [Template(r.id, r.title, r.body, r.updated_at, r.updated_by) for r in rows]


def save_template(
    ctx: EngineContext,
    actor: Actor,
    template_id: int | None,
    title: str,
    body: str,
    now: datetime | None = None,
) -> int:
    """Create (``template_id`` None) or change a template; team leads only. Returns its id."""
    _require_team_lead(actor)
    now = now or ctx.clock.now()
    title, body = title.strip(), body.strip()
    errors: dict[str, tuple[str, str]] = {}
    if not title:
        errors["titel"] = ("Bitte einen Titel angeben.", "Please give a title.")
    elif len(title) > MAX_TITLE:
        errors["titel"] = (
            "Der Titel ist zu lang (höchstens 120 Zeichen).",
            "The title is too long (120 at most).",
        )
    if not body:
        errors["text"] = ("Bitte einen Text angeben.", "Please give a text.")
    elif len(body) > MAX_BODY:
        errors["text"] = ("Der Text ist zu lang (höchstens 20.000 Zeichen).", "The text is too long.")
    elif problems := placeholder_errors(body):
        errors["text"] = (" ".join(p[0] for p in problems), " ".join(p[1] for p in problems))
    if errors:
        raise TemplateInvalid(errors)
    try:
        with ctx.unit_of_work() as session:
            row = ReplyTemplate() if template_id is None else session.get(ReplyTemplate, template_id)
            if row is None:
                raise TemplateInvalid(
                    {"titel": ("Diese Vorlage gibt es nicht mehr.", "This template is gone.")}
                )
            row.title, row.body, row.updated_at, row.updated_by = title, body, now, actor.username
            session.add(row)
            session.flush()
            saved = int(row.id)
            session.commit()
    except IntegrityError as clash:
        raise TemplateInvalid(
            {"titel": ("Eine Vorlage mit diesem Titel gibt es schon.", "A template with this title exists.")}
        ) from clash
    return saved


def delete_template(ctx: EngineContext, actor: Actor, template_id: int) -> None:
    _require_team_lead(actor)
    with ctx.unit_of_work() as session:
        session.execute(delete(ReplyTemplate).where(ReplyTemplate.id == template_id))
        session.commit()


def filled_template(ctx: EngineContext, actor: Actor, case_id: int, template_id: int) -> str | None:
    """The template's text with the case's values, for the reply form; None when it does not exist."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        row = session.get(ReplyTemplate, template_id)
        if row is None:
            return None
        reference = session.scalar(select(Case.reference).where(Case.id == case_id)) or ""
        counsellor = session.scalar(select(Staff.display_name).where(Staff.username == actor.username))
        particulars = person_facts(ctx, session, case_id).particulars
        body = row.body
    name = particulars.name if particulars is not None else ""
    values = {
        "anrede": f"Guten Tag {name}" if name else "Guten Tag",
        "name": name,
        "fallnummer": reference,
        "berater": counsellor or actor.username,
    }
    return body.format_map(values)


def _require_team_lead(actor: Actor) -> None:
    if not actor.is_team_lead:
        raise NotPermitted("Vorlagen pflegen")
