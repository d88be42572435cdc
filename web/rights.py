"""The person's rights on the case page: the Art. 15 export (team leads) as a ZIP download, and the
Art. 17 erasure on request (one team lead asks with a reason, a second confirms)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.cases.erasure import ErasureRefused, confirm_erasure, pending_erasure, request_erasure
from engine.cases.subject_access import export_case
from web.auth import requires_role
from web.case_presence import known_empty
from web.i18n import language

blueprint = Blueprint("rights", __name__)


@blueprint.post("/faelle/<int:case_id>/auskunft")
@requires_role("teamleitung")
def export(case_id: int) -> Response:
    made = export_case(current_app.extensions["lotse"], current_user.actor, case_id)
    response = send_file(
        BytesIO(made.data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=made.file_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.app_template_global()
def case_pending_erasure(case_id: int):
    if known_empty(case_id, "erasure"):
        return None
    return pending_erasure(current_app.extensions["lotse"], current_user.actor, case_id)


@blueprint.post("/faelle/<int:case_id>/loeschung")
@requires_role("teamleitung")
def ask_erasure(case_id: int) -> Response:
    try:
        request_erasure(
            current_app.extensions["lotse"], current_user.actor, case_id, request.form.get("grund", "")
        )
    except ErasureRefused as refused:
        flash(refused.message(language()), "error")
    else:
        flash(gettext("Löschung beantragt: Eine zweite Teamleitung muss sie bestätigen."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#rechte")


@blueprint.post("/faelle/<int:case_id>/loeschung/bestaetigen")
@requires_role("teamleitung")
def confirm(case_id: int) -> Response:
    if request.form.get("bestaetigt") != "ja":  # erasure cannot be undone: the box must be ticked
        flash(
            gettext(
                "Bitte bestätigen Sie, dass der Inhalt endgültig gelöscht wird – es wurde nichts gelöscht."
            ),
            "error",
        )
        return redirect(url_for("cases.case_page", case_id=case_id) + "#rechte")
    try:
        confirm_erasure(current_app.extensions["lotse"], current_user.actor, case_id)
    except ErasureRefused as refused:
        flash(refused.message(language()), "error")
    else:
        flash(
            gettext("Der Fall wurde auf Antrag der Person gelöscht; es bleiben nur die Statistikangaben."),
            "success",
        )
    return redirect(url_for("cases.case_page", case_id=case_id))
