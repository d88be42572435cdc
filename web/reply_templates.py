"""Vorlagen (/vorlagen): team leads keep the text templates counsellors fill into answers on the case page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.channels.reply_templates import (
    PLACEHOLDERS,
    TemplateInvalid,
    delete_template,
    filled_template,
    save_template,
    templates,
)
from engine.kernel.numbers import whole_number
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("reply_templates", __name__)


def _context():
    return current_app.extensions["lotse"]


@blueprint.get("/vorlagen")
@requires_role("teamleitung")
def template_list() -> str:
    return _page(None, {}, {})


@blueprint.get("/vorlagen/<int:template_id>")
@requires_role("teamleitung")
def edit(template_id: int) -> str:
    found = _find(template_id)
    return _page(template_id, {}, {"titel": found.title, "text": found.body})


def _find(template_id: int):
    found = next((t for t in templates(_context()) if t.id == template_id), None)
    if found is None:
        abort(404)
    return found


def _page(template_id: int | None, errors: dict[str, str], form: dict[str, str]) -> str:
    return render_template(
        "reply_templates/templates.html",
        entries=templates(_context()),
        editing=template_id,
        errors=errors,
        form=form,
        placeholders=PLACEHOLDERS,
    )


@blueprint.post("/vorlagen")
@requires_role("teamleitung")
def create() -> str | Response | tuple[str, int]:
    return _save(None)


@blueprint.post("/vorlagen/<int:template_id>")
@requires_role("teamleitung")
def update(template_id: int) -> str | Response | tuple[str, int]:
    return _save(template_id)


def _save(template_id: int | None) -> str | Response | tuple[str, int]:
    form = {"titel": request.form.get("titel", ""), "text": request.form.get("text", "")}
    try:
        save_template(_context(), current_user.actor, template_id, form["titel"], form["text"])
    except TemplateInvalid as invalid:
        lang = language()
        errors = {field: (m[0] if lang == "de" else m[1]) for field, m in invalid.errors.items()}
        return _page(template_id, errors, form), 422
    flash(gettext("Die Vorlage ist gespeichert."), "success")
    return redirect(url_for("reply_templates.template_list"))


@blueprint.get("/vorlagen/<int:template_id>/loeschen")
@requires_role("teamleitung")
def delete_page(template_id: int) -> str:
    return render_template("reply_templates/delete.html", entry=_find(template_id))


@blueprint.post("/vorlagen/<int:template_id>/loeschen")
@requires_role("teamleitung")
def delete(template_id: int) -> Response:
    delete_template(_context(), current_user.actor, template_id)
    flash(gettext("Die Vorlage ist gelöscht."), "success")
    return redirect(url_for("reply_templates.template_list"))


@blueprint.app_template_global()
def reply_templates() -> list:
    """The templates a counsellor can pick on the case page's reply form."""
    return templates(_context())


@blueprint.app_template_global()
def filled_reply(case_id: int) -> str:
    """The reply form's text: what was typed when a reply was refused, else the picked template
    (``?vorlage=ID``) filled with the case's values."""
    if request.method == "POST" and "nachricht" in request.form:
        return request.form["nachricht"]
    picked = whole_number(request.args.get("vorlage", ""), 1)
    if picked is None:
        return ""
    return filled_template(_context(), current_user.actor, case_id, picked) or ""
