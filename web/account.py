"""The signed-in person's own settings: the language of the interface and the list of their sessions."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.staff import accounts as staff
from engine.staff.session_list import end_own_session, sessions_of
from web.auth import safe_next
from web.i18n import LANGUAGES
from web.staff_session import limits

blueprint = Blueprint("account", __name__)


@blueprint.post("/sprache")
@login_required
def set_language() -> Response:
    chosen = request.form.get("language", "")
    if chosen in LANGUAGES:
        staff.set_language(current_app.extensions["lotse"], current_user.member.id, chosen)
    return redirect(safe_next(request.form.get("next")))


@blueprint.get("/konto/sitzungen")
@login_required
def sessions() -> str:
    listed = sessions_of(
        current_app.extensions["lotse"], current_user.member.id, current_user.token, limits()
    )
    return render_template("account/sessions.html", sessions=listed)


@blueprint.post("/konto/sitzungen/<int:session_id>/beenden")
@login_required
def end_session(session_id: int) -> Response:
    if end_own_session(current_app.extensions["lotse"], current_user.member.id, session_id):
        flash(gettext("Die Sitzung ist beendet."), "success")
    return redirect(url_for("account.sessions"))
