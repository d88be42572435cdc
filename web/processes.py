"""Process owners: the process models and their versions, downloads, uploads, the BPMN and DMN editors,
review (checks and diff) and deployment as a separate, confirmed step."""

from __future__ import annotations

import base64
from pathlib import PurePath

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from engine.bpmn.files import MAX_MODEL_BYTES, ModelError, ModelProblem
from engine.kernel.errors import NotFound
from engine.kernel.numbers import whole_number
from engine.processes.internal_errors import InternalError
from engine.processes.review import (
    PROCESS_OWNER,
    DeployedMeanwhile,
    DraftChanged,
    Review,
    deploy_model,
    draft_files,
    process_overview,
    process_summary,
    review_model,
    version_file,
)
from web.auth import requires_role
from web.headers import editor_styles, model_file, model_file_response
from web.i18n import language

blueprint = Blueprint("processes", __name__)
# Several files of at most MAX_MODEL_BYTES each, as files or as form fields.
REQUEST_LIMIT = 4 * MAX_MODEL_BYTES + 64 * 1024
# What a changed attribute of an element means to a process owner (SpiffWorkflow's names otherwise).
DIFF_LABELS = {
    "extensions": lazy_gettext("Eigenschaften (Gruppe, Fristen, Priorität)"),
    "form": lazy_gettext("Formular"),
    "cond_task_specs": lazy_gettext("Bedingungen"),
    "default_task_spec": lazy_gettext("Standardfluss"),
    "event_definition": lazy_gettext("Ereignis (z. B. Timer)"),
    "script": lazy_gettext("Skript"),
    "bpmn_name": lazy_gettext("Name"),
    "documentation": lazy_gettext("Anleitung"),
    "decision_table": lazy_gettext("Entscheidungstabelle"),
    "outputs": lazy_gettext("Ausgehende Flüsse"),
    "inputs": lazy_gettext("Eingehende Flüsse"),
    "lane": lazy_gettext("Lane"),
}


def _context():
    return current_app.extensions["lotse"]


def _allow_model_sized_requests() -> None:
    request.max_content_length = REQUEST_LIMIT
    request.max_form_memory_size = REQUEST_LIMIT


@blueprint.get("/prozesse")
@requires_role(PROCESS_OWNER)
def overview() -> str:
    processes = process_overview(_context(), current_user.actor)
    return render_template("processes/overview.html", processes=processes)


@blueprint.get("/prozesse/<key>/v<int:version>/<file_name>")
@requires_role(PROCESS_OWNER)
@model_file
def download(key: str, version: int, file_name: str) -> Response:
    """A file of a deployed version, to open in the Camunda Modeler or for the editor here (``?inline=1``,
    kept for the editor's links: the editor fetches it as data, so it is a download all the same)."""
    data = version_file(_context(), current_user.actor, key, version, file_name)
    return model_file_response(data, file_name)


@blueprint.get("/prozesse/<key>/bearbeiten")
@requires_role(PROCESS_OWNER)
@editor_styles
def edit_bpmn(key: str) -> str:
    summary = process_summary(_context(), current_user.actor, key)
    latest = summary.latest
    return render_template(
        "processes/editor.html",
        process=summary,
        kind="bpmn",
        file_name=f"{key}.bpmn",
        source_url=url_for(
            "processes.download", key=key, version=latest.version, file_name=f"{key}.bpmn", inline="1"
        ),
    )


@blueprint.get("/prozesse/<key>/dmn/<file_name>/bearbeiten")
@requires_role(PROCESS_OWNER)
@editor_styles
def edit_dmn(key: str, file_name: str) -> str:
    summary = process_summary(_context(), current_user.actor, key, dmn_name=file_name)
    latest = summary.latest
    return render_template(
        "processes/editor.html",
        process=summary,
        kind="dmn",
        file_name=file_name,
        source_url=url_for(
            "processes.download", key=key, version=latest.version, file_name=file_name, inline="1"
        ),
    )


def _submitted() -> tuple[bytes | None, dict[str, bytes]]:
    """The draft's files: as uploaded files (editor, upload form) or as form fields (confirm step)."""
    bpmn: bytes | None = None
    dmn: dict[str, bytes] = {}
    upload = request.files.get("bpmn")
    if upload is not None and upload.filename is not None:
        bpmn = upload.read(MAX_MODEL_BYTES + 1)
    elif request.form.get("bpmn_base64"):
        bpmn = _decoded(request.form["bpmn_base64"])
    upload = request.files.get("dmn")
    if upload is not None:
        dmn[_dmn_name(request.form.get("dmn_name") or upload.filename)] = upload.read(MAX_MODEL_BYTES + 1)
    elif request.form.get("dmn_base64"):
        dmn[_dmn_name(request.form.get("dmn_name"))] = _decoded(request.form["dmn_base64"])
    return bpmn, dmn


def _decoded(text: str) -> bytes:
    """A file carried through the confirm form byte for byte (a textarea would change its line ends)."""
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as error:
        raise ModelError(
            [ModelProblem(None, "The form was damaged.", german="Das Formular war beschädigt.")]
        ) from error


def _bpmn_name(name: str | None) -> str:
    """A safe name for the uploaded BPMN file, shown in messages about the file as a whole."""
    stem = PurePath((name or "").replace("\\", "/")).name
    stem = "".join(c for c in stem if c.isalnum() or c in "-_.")[:80]
    return stem or "process.bpmn"


def _sent_bpmn_name(key: str) -> str:
    """The name of the BPMN file sent: as uploaded, as carried through the confirm form, else the key's."""
    upload = request.files.get("bpmn")
    return _bpmn_name(
        (upload.filename if upload is not None else None) or request.form.get("bpmn_name") or f"{key}.bpmn"
    )


def _dmn_name(name: str | None) -> str:
    """A safe file name for a decision table (no folders, ends in .dmn)."""
    stem = PurePath((name or "").replace("\\", "/")).name
    stem = "".join(c for c in stem if c.isalnum() or c in "-_.")[:80]
    return stem if stem.endswith(".dmn") and len(stem) > 4 else "entscheidung.dmn"


def _review(key: str | None) -> tuple[Review | None, ModelError | None]:
    try:
        bpmn, dmn = _submitted()
        if bpmn is None and not dmn:
            raise _nothing_sent()
        _key, files = draft_files(_context(), key, bpmn, dmn, _sent_bpmn_name(key))
    except ModelError as refused:
        return None, refused
    return review_model(_context(), current_user.actor, files), None


def _refusal(refused: ModelError) -> str:
    """Why a deployment was refused, problem by problem (an internal error names its reference)."""
    problems = " ".join(
        f"[{problem.element_id}] {problem.text(language())}"
        if problem.element_id
        else problem.text(language())
        for problem in refused.problems
    )
    if isinstance(refused, InternalError):
        return problems
    return (
        gettext("Nicht bereitgestellt: Das Modell hat Fehler. Es wurde nichts gespeichert.") + " " + problems
    )


def _nothing_sent() -> ModelError:
    return ModelError([ModelProblem(None, "No file was sent.", german="Es wurde keine Datei gesendet.")])


@blueprint.post("/prozesse/<key>/pruefen")
@requires_role(PROCESS_OWNER)
def review(key: str) -> tuple[str, int]:
    """Check a draft from the editor and compare it with the deployed version; stores nothing."""
    _allow_model_sized_requests()
    found, refused = _review(key)
    return _review_fragment(key, found, refused)


def _review_fragment(
    key: str | None,
    found: Review | None,
    refused: ModelError | None,
    carry: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The review as HTML: problems by element, the diff, and the deploy step when it may go ahead.

    ``carry``: the draft's files as hidden fields for the confirm form (the editor sends its own).
    """
    problems = refused.problems if refused is not None else list(found.problems if found else [])
    status = 200 if found is not None and (found.deployable or found.unchanged) else 422
    return (
        render_template(
            "processes/_review.html",
            key=found.key if found and found.key else key,
            review=found,
            problems=problems,
            carry=carry,
            lang=language(),
            diff_labels=DIFF_LABELS,
        ),
        status,
    )


@blueprint.post("/prozesse/hochladen")
@requires_role(PROCESS_OWNER)
def upload() -> str | tuple[str, int] | Response:
    """A .bpmn or .dmn file made elsewhere (e.g. in the Camunda Modeler): checked and compared, not deployed."""
    _allow_model_sized_requests()
    sent = request.files.get("datei")
    key = request.form.get("prozess") or None
    if sent is None or not sent.filename:
        flash(gettext("Bitte wählen Sie eine .bpmn- oder .dmn-Datei."), "error")
        return redirect(url_for("processes.overview"))
    data = sent.read(MAX_MODEL_BYTES + 1)
    bpmn, dmn = (
        (data, {}) if not sent.filename.lower().endswith(".dmn") else (None, {_dmn_name(sent.filename): data})
    )
    try:
        _key, files = draft_files(_context(), key, bpmn, dmn, _bpmn_name(sent.filename))
    except NotFound:
        flash(gettext("Bitte wählen Sie den Prozess, zu dem die Entscheidungstabelle gehört."), "error")
        return redirect(url_for("processes.overview"))
    except ModelError as refused:
        fragment, status = _review_fragment(key, None, refused)
        return render_template("processes/upload.html", fragment=fragment, file_name=sent.filename), status
    found = review_model(_context(), current_user.actor, files)
    if bpmn is not None:
        carry = {"bpmn_base64": base64.b64encode(bpmn).decode("ascii"), "bpmn_name": files.bpmn_name}
    else:
        name, xml = next(iter(dmn.items()))
        carry = {"dmn_name": name, "dmn_base64": base64.b64encode(xml).decode("ascii")}
    fragment, status = _review_fragment(found.key or key, found, None, carry)
    return render_template("processes/upload.html", fragment=fragment, file_name=sent.filename), status


@blueprint.post("/prozesse/<key>/bereitstellen")
@requires_role(PROCESS_OWNER)
def deploy(key: str) -> str | tuple[str, int] | Response:
    """Deploy a reviewed draft. The editor gets an HTML fragment; the upload form a redirect."""
    _allow_model_sized_requests()
    fragment = request.form.get("fragment") == "1"
    base = request.form.get("base_version", "")
    reviewed_base = whole_number(base)
    context, actor = _context(), current_user.actor
    try:
        bpmn, dmn = _submitted()
        if bpmn is None and not dmn:
            raise _nothing_sent()
        _key, files = draft_files(context, key, bpmn, dmn, _sent_bpmn_name(key))
        deployed = deploy_model(context, actor, files, reviewed_base, request.form.get("sha256") or None)
    except ModelError as refused:
        if fragment:
            return _review_fragment(key, None, refused)
        flash(_refusal(refused), "error")
        return redirect(url_for("processes.overview"))
    except (DraftChanged, DeployedMeanwhile) as refused:
        if fragment:
            return render_template("processes/_deployed.html", refused=refused.message(language())), 409
        flash(refused.message(language()), "error")
        return redirect(url_for("processes.overview"))
    if deployed.created:
        message = gettext(
            "Version %(version)s von %(key)s ist bereitgestellt. Neue Fälle starten darauf; "
            "laufende Fälle bleiben auf ihrer Version.",
            version=deployed.version,
            key=deployed.key,
        )
    else:
        message = gettext(
            "Keine Änderung: Genau dieser Inhalt ist bereits als Version %(version)s bereitgestellt.",
            version=deployed.version,
        )
    if fragment:
        return render_template("processes/_deployed.html", message=message, deployed=deployed)
    flash(message, "success" if deployed.created else "info")
    return redirect(url_for("processes.overview"))
