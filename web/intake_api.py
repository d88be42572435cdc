"""``POST /api/intake``: a portal's own form sends its intakes here, signed (see engine.channels.intake_api);
the OpenAPI document is at ``/api/intake/openapi.yaml``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory

from engine.channels.intake_api import ApiRefused, accept_intake, check_signature
from engine.kernel.settings import portal_secrets
from web.i18n import language

blueprint = Blueprint("intake_api", __name__)


@blueprint.post("/api/intake")
def intake() -> tuple[Response, int]:
    context = current_app.extensions["lotse"]
    body = request.get_data(cache=False)[: 64 * 1024 + 1]
    portal = request.headers.get("X-Lotse-Portal", "")
    try:
        check_signature(
            portal_secrets(), portal, request.headers.get("X-Lotse-Timestamp", ""), body,
            request.headers.get("X-Lotse-Signature", ""), context.clock.now(),
        )  # fmt: skip
        accepted = accept_intake(context, portal, body, request.headers.get("X-Lotse-Signature", ""))
    except ApiRefused as refused:
        return jsonify(error=refused.reason, message=refused.message(language())), refused.status
    return jsonify(id=accepted.message_id, status="received" if accepted.created else "already_received"), (
        201 if accepted.created else 200
    )


@blueprint.get("/api/intake/openapi.yaml")
def openapi() -> Response:
    return send_from_directory(
        current_app.static_folder + "/api", "intake-openapi.yaml", mimetype="application/yaml"
    )
