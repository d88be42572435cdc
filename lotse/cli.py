"""The ``lotse`` command: database, deployment, staff, demo data, timers, benchmarks, serving."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from engine.bpmn.files import ModelError
from engine.kernel.context import EngineContext
from engine.kernel.settings import JobSettings, Settings
from engine.store import schema
from lotse.bench_commands import bench
from lotse.key_commands import keys
from lotse.user_commands import users
from web.app import create_app

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows" / "bpmn"


def _context() -> EngineContext:
    from flask import current_app

    return current_app.extensions["lotse"]


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Lotse: case handling for the counselling service."""


# -- database ---------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest); at the newest, add missing seed directory entries."""
    schema.upgrade(_context().db, revision, vault=_context().vault)
    click.echo(f"Database at {revision}.")
    if revision == "head":
        from engine.directory.csv_exchange import load_seed

        click.echo(f"Referral directory: {load_seed(_context())} seed entries added.")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION (use 'base' for an empty database)."""
    schema.downgrade(_context().db, revision, vault=_context().vault)
    click.echo(f"Database at {revision}.")


# -- workflows --------------------------------------------------------------------------------


@main.group()
def workflows() -> None:
    """Process models."""


@workflows.command("deploy")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--by", "actor", default="cli", help="Who deploys (for the audit trail).")
@with_appcontext
def workflows_deploy(path: Path | None, actor: str) -> None:
    """Deploy the .bpmn files in PATH (a file or folder; default: the shipped models) with the .dmn files beside them.

    Exit status: 0 when every model is deployed (or unchanged), 2 when a model is refused, 1 on an
    internal error (its reference is printed and in the log).
    """
    path = path or WORKFLOWS
    folder = path if path.is_dir() else path.parent
    bpmn_files = sorted(folder.glob("*.bpmn")) if path.is_dir() else [path]
    try:
        dmn_files = {dmn.name: dmn.read_bytes() for dmn in sorted(folder.glob("*.dmn"))}
    except OSError as error:
        raise _unreadable(error) from error
    outcomes = [_deploy_file(bpmn, dmn_files, actor) for bpmn in bpmn_files]
    if "internal" in outcomes:
        sys.exit(1)
    if "refused" in outcomes:
        sys.exit(2)


def _unreadable(error: OSError) -> click.ClickException:
    failure = click.ClickException(
        f"{error.filename}: cannot be read / kann nicht gelesen werden ({error.strerror})"
    )
    failure.exit_code = 1
    return failure


def _deploy_file(bpmn: Path, dmn_files: dict[str, bytes], actor: str) -> str:
    """Deploy one BPMN file and print the outcome: deployed, refused or internal (an unexpected error)."""
    from engine.processes.deployment import deploy_process
    from engine.processes.internal_errors import InternalError

    try:
        result = deploy_process(_context(), actor, bpmn.read_bytes(), dmn_files)
    except OSError as error:
        raise _unreadable(error) from error
    except ModelError as error:
        internal = isinstance(error, InternalError)
        verdict = "internal error / interner Fehler" if internal else "refused / abgelehnt"
        click.echo(f"{bpmn.name}: {verdict}", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        return "internal" if internal else "refused"
    state = "deployed" if result.created else "unchanged (already deployed)"
    click.echo(f"{bpmn.name}: {result.key} v{result.version} {state}")
    for warning in result.warnings:
        click.echo(f"  warning / Hinweis: {warning}")
    return "deployed"


# -- staff ------------------------------------------------------------------------------------


# -- demo, timers -----------------------------------------------------------------------------


@main.command("demo")
@with_appcontext
def demo() -> None:
    """Load demo staff and a dozen demo cases (once; running it again changes nothing)."""
    from engine.demo.seed import DEMO_PASSWORD, DEMO_STAFF, load_demo

    result = load_demo(_context())
    click.echo(
        f"Demo cases created: {result['cases_created']}; staff created: {len(result['staff_created'])}."
    )
    click.echo(f"Referral directory: {result['offers_created']} seed entries added.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for person in DEMO_STAFF:
        click.echo(f"  {person.username:6} {person.name}")


@main.command("sweep")
@with_appcontext
def sweep() -> None:
    """Fire every due timer once; remind of agreed callbacks and escalate missed ones."""
    from engine.deadlines.appointment_sweep import sweep_appointments
    from engine.deadlines.timer_sweep import sweep_timers

    report = sweep_timers(_context())
    agreed = sweep_appointments(_context())
    click.echo(
        json.dumps(
            {
                "fired": report.fired,
                "conflicts": report.conflicts,
                "failed": report.failed,
                "appointments_reminded": agreed.reminded,
                "appointments_escalated": agreed.escalated,
            }
        )
    )


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the Lotse web app (scheduled work runs in `lotse scheduler`). On a loopback address it is the
    development server: the session cookie goes without `Secure` unless LOTSE_SECURE_COOKIES is set."""
    from flask import current_app

    from web.headers import development_server

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if development_server(app, host):
        click.echo("Development server on a loopback address: session cookie without Secure (plain HTTP).")
    run_simple(host, port, app, threaded=True, use_reloader=False)


# -- scheduled jobs ---------------------------------------------------------------------------


@main.command("scheduler")
@click.option("--port", default=4200, type=int, help="Port of the embedded Prefect server.")
@click.option("--ui", is_flag=True, help="Also serve Prefect's web UI on that port.")
@with_appcontext
def scheduler(port: int, ui: bool) -> None:
    """Run the scheduled jobs: an embedded Prefect server under the instance folder and its deployments."""
    from flask import current_app

    from integrations.scheduler import SchedulerError, run_scheduler

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    instance = Path(app.instance_path)
    settings = Settings.from_environment(instance)
    job_settings = JobSettings(
        instance_path=instance,
        database_url=app.config["LOTSE_DATABASE_URL"],
        keyring=app.config.get("LOTSE_KEYS") or settings.keyring,
        land=app.config.get("LOTSE_LAND") or settings.land,
    )
    try:
        code = run_scheduler(instance, job_settings.environment(), port, ui, click.echo)
    except SchedulerError as error:
        raise click.ClickException(str(error)) from error
    sys.exit(code)


@main.group()
def jobs() -> None:
    """Scheduled jobs, run directly (without Prefect)."""


@jobs.command("deploy")
@click.option(
    "--work-pool",
    required=True,
    help="A Prefect process work pool (prefect work-pool create NAME --type process).",
)
def jobs_deploy(work_pool: str) -> None:
    """Production: register the scheduled jobs with a Prefect server (PREFECT_API_URL) and a work pool."""
    from integrations.flows import deploy_to_work_pool

    ids = deploy_to_work_pool(work_pool)
    click.echo(json.dumps({"work_pool": work_pool, "deployments": ids}))


@jobs.command("run-once")
@click.argument("job", type=click.Choice(["sweep", "outbox", "digest", "purge", "statistics", "mail-intake"]))
@click.option("--dry-run", is_flag=True, help="purge: only list what would be purged.")
@with_appcontext
def jobs_run_once(job: str, dry_run: bool) -> None:
    """Run JOB once now: sweep (due timers), outbox (e-mail), digest (daily), purge (retention),
    statistics (monthly snapshots), mail-intake (new e-mail from the LOTSE_IMAP_* mailboxes)."""
    from integrations.jobs import run_job

    click.echo(json.dumps(run_job(job, _context(), dry_run=dry_run)))


# -- benchmarks -------------------------------------------------------------------------------


main.add_command(bench)
main.add_command(users)
main.add_command(keys)
