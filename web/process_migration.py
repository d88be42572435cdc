"""Process owners move running cases to another process version: dry run, choice, migration, results."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, render_template, request
from flask_babel import gettext
from flask_login import current_user

from engine.kernel.numbers import whole_number
from engine.processes.migration import MigrationNotPossible, dry_run, migrate_cases, migration_versions
from engine.processes.migration_report import DryRun, VersionChoice
from web.auth import requires_role
from web.i18n import language

blueprint = Blueprint("process_migration", __name__)
ROLE = "prozessverantwortung"


def _context():
    return current_app.extensions["lotse"]


@blueprint.get("/prozesse/migration")
@requires_role(ROLE)
def migration() -> str | tuple[str, int]:
    versions = migration_versions(_context())
    if not request.args.get("von") and not request.args.get("nach"):
        return _page(versions, None, None)
    source_id, target_id = _version_ids(request.args)
    if source_id is None or target_id is None:
        flash(_choose_two(), "error")
        return _page(versions, source_id, target_id), 422
    try:
        report = dry_run(_context(), source_id, target_id)
    except MigrationNotPossible as refused:
        flash(refused.message(language()), "error")
        return _page(versions, source_id, target_id), 422
    return _page(versions, source_id, target_id, report)


@blueprint.post("/prozesse/migration")
@requires_role(ROLE)
def migrate() -> str | tuple[str, int]:
    versions = migration_versions(_context())
    source_id, target_id = _version_ids(request.form)
    if source_id is None or target_id is None:
        flash(_choose_two(), "error")
        return _page(versions, source_id, target_id), 422
    seen = _chosen_cases(request.form.getlist("faelle"))
    if seen is None:
        flash(
            gettext(
                "Die Auswahl der Fälle ist ungültig. Bitte führen Sie den Probelauf erneut aus; "
                "es wurde nichts migriert."
            ),
            "error",
        )
        return _page(versions, source_id, target_id), 422
    if not seen:
        flash(gettext("Bitte wählen Sie mindestens einen Fall aus. Es wurde nichts migriert."), "error")
        return _page(versions, source_id, target_id), 422
    if request.form.get("bestaetigt") != "ja":
        return _confirmation(versions, source_id, target_id, seen)
    try:
        results = migrate_cases(_context(), current_user.actor.username, source_id, target_id, seen)
    except MigrationNotPossible as refused:
        flash(refused.message(language()), "error")
        return _page(versions, source_id, target_id), 422
    migrated = sum(1 for result in results if result.migrated)
    flash(
        gettext(
            "%(migrated)s von %(chosen)s Fällen wurden migriert.", migrated=migrated, chosen=len(results)
        ),
        "success" if migrated == len(results) else "info",
    )
    return render_template(
        "process_migration/results.html",
        results=results,
        source=_version(versions, source_id),
        target=_version(versions, target_id),
    )


def _confirmation(
    versions: list[VersionChoice], source_id: int, target_id: int, seen: dict[int, int]
) -> str | tuple[str, int]:
    """The chosen cases by reference, to be confirmed before anything moves."""
    try:
        report = dry_run(_context(), source_id, target_id)
    except MigrationNotPossible as refused:
        flash(refused.message(language()), "error")
        return _page(versions, source_id, target_id), 422
    references = {check.case_id: check.reference for check in report.movable}
    return render_template(
        "process_migration/confirm.html",
        chosen=[references.get(case_id, str(case_id)) for case_id in seen],
        values=[f"{case_id}:{lock}" for case_id, lock in seen.items()],
        source=_version(versions, source_id),
        target=_version(versions, target_id),
    )


def _version_ids(values) -> tuple[int | None, int | None]:
    return _number(values.get("von")), _number(values.get("nach"))


def _number(text: str | None) -> int | None:
    return whole_number(text)


def _chosen_cases(values: list[str]) -> dict[int, int] | None:
    """``case id:lock version`` pairs as the dry run listed them; None when one is malformed."""
    chosen: dict[int, int] = {}
    for value in values:
        case_id, _, lock_version = value.partition(":")
        parsed = _number(case_id), _number(lock_version)
        if parsed[0] is None or parsed[1] is None:
            return None
        chosen[parsed[0]] = parsed[1]
    return chosen


def _choose_two() -> str:
    return gettext("Bitte wählen Sie eine Ausgangs- und eine Zielversion. Es wurde nichts migriert.")


def _version(versions: list[VersionChoice], version_id: int | None) -> VersionChoice | None:
    return next((version for version in versions if version.id == version_id), None)


def _page(
    versions: list[VersionChoice],
    source_id: int | None,
    target_id: int | None,
    report: DryRun | None = None,
) -> str:
    if source_id is None and target_id is None and versions:
        source_id, target_id = _suggested(versions)
    return render_template(
        "process_migration/migration.html",
        versions=versions,
        source_id=source_id,
        target_id=target_id,
        report=report,
    )


def _suggested(versions: list[VersionChoice]) -> tuple[int | None, int | None]:
    """The newest version as target and the one with most open cases before it as source."""
    target = max(versions, key=lambda v: (v.deployed_at, v.version))
    earlier = [v for v in versions if v.key == target.key and v.version < target.version]
    source = max(earlier, key=lambda v: (v.open_cases, v.version), default=None)
    return (source.id if source else None), target.id
