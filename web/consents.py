"""Consents on the case page: record what the person agreed to (with the text version), withdraw it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from engine.referrals.consent_records import (
    CHANNELS,
    RECIPIENTS,
    SUBJECTS,
    ConsentInvalid,
    consent_history,
    record_consent,
    withdraw_consent,
)
from web.auth import requires_role
from web.case_presence import known_empty
from web.i18n import language

blueprint = Blueprint("consents", __name__)
COUNSELS = ("beratung", "teamleitung")


def _context():
    return current_app.extensions["lotse"]


@blueprint.app_template_global()
def case_consent_history(case_id: int) -> list:
    if known_empty(case_id, "consents"):
        return []
    return consent_history(_context(), current_user.actor, case_id)


@blueprint.app_template_global()
def consent_labels() -> dict[str, dict[str, str]]:
    index = 0 if language() == "de" else 1
    return {
        name: {code: labels[index] for code, labels in table.items()}
        for name, table in (("subjects", SUBJECTS), ("recipients", RECIPIENTS), ("channels", CHANNELS))
    }


@blueprint.post("/faelle/<int:case_id>/einwilligungen")
@requires_role(*COUNSELS)
def record(case_id: int) -> Response:
    form = request.form
    try:
        record_consent(
            _context(),
            current_user.actor,
            case_id,
            form.get("gegenstand", ""),
            form.get("empfaenger", ""),
            form.get("weg", ""),
        )
    except ConsentInvalid as refused:
        flash(refused.message(language()), "error")
    else:
        flash(gettext("Einwilligung erfasst."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id) + "#einwilligungen")


@blueprint.post("/faelle/<int:case_id>/einwilligungen/<int:consent_id>/widerruf")
@requires_role(*COUNSELS)
def withdraw(case_id: int, consent_id: int) -> Response:
    try:
        withdraw_consent(_context(), current_user.actor, case_id, consent_id)
    except ConsentInvalid as refused:
        flash(refused.message(language()), "error")
    else:
        flash(
            gettext("Widerruf erfasst: Auf diese Einwilligung hin wird nichts mehr weitergegeben."), "success"
        )
    return redirect(url_for("cases.case_page", case_id=case_id) + "#einwilligungen")
