"""The signed-in person's own settings: the language of the interface."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.staff import accounts as staff
from web.auth import safe_next
from web.i18n import LANGUAGES

blueprint = Blueprint("account", __name__)


@blueprint.post("/sprache")
@login_required
def set_language() -> Response:
    chosen = request.form.get("language", "")
    if chosen in LANGUAGES:
        staff.set_language(current_app.extensions["lotse"], current_user.member.id, chosen)
    return redirect(safe_next(request.form.get("next")))
