"""The person's rights on the case page: the Art. 15 export (team leads) as a ZIP download."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, current_app, send_file
from flask_login import current_user

from engine.cases.subject_access import export_case
from web.auth import requires_role

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
