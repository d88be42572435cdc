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
from engine.kernel.errors import DomainError
from engine.kernel.settings import JobSettings, Settings
from engine.store import schema
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


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["beratung", "teamleitung", "prozessverantwortung", "administration"]),
)
@click.option("--email", default=None)
@click.password_option(help="At least 12 characters.")
@with_appcontext
def users_add(
    username: str, display_name: str, roles: tuple[str, ...], email: str | None, password: str
) -> None:
    """Add a staff member."""
    from engine.staff.accounts import add_staff

    try:
        add_staff(_context(), "cli", username, display_name, password, list(roles), email)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Added {username} ({', '.join(roles)}).")


@users.command("password")
@click.argument("username")
@click.password_option(help="At least 12 characters.")
@with_appcontext
def users_password(username: str, password: str) -> None:
    """Set a new password; every session of USERNAME ends."""
    from engine.staff.accounts import change_password

    try:
        change_password(_context(), "cli", username, password)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"New password for {username}; their sessions have ended.")


@users.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username: str) -> None:
    """Take away USERNAME's access: no more logins, and every session ends now."""
    from engine.staff.accounts import deactivate_staff

    try:
        deactivate_staff(_context(), "cli", username)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{username} is deactivated; their sessions have ended.")


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
    """Fire every due timer once."""
    from engine.deadlines.timer_sweep import sweep_timers

    report = sweep_timers(_context())
    click.echo(json.dumps({"fired": report.fired, "conflicts": report.conflicts, "failed": report.failed}))


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
@click.argument("job", type=click.Choice(["sweep", "outbox", "digest", "purge"]))
@click.option("--dry-run", is_flag=True, help="purge: only list what would be purged.")
@with_appcontext
def jobs_run_once(job: str, dry_run: bool) -> None:
    """Run JOB once now: sweep (due timers), outbox (e-mail), digest (daily), purge (retention)."""
    from integrations.jobs import run_job

    click.echo(json.dumps(run_job(job, _context(), dry_run=dry_run)))


# -- benchmarks -------------------------------------------------------------------------------


@main.group()
def bench() -> None:
    """Benchmarks (print JSON)."""


@bench.command("engine")
@click.option("--cases", default=20, help="Cases per model size.")
@click.option("--sizes", default="10,50,100", help="User tasks per generated model.")
def bench_engine(cases: int, sizes: str) -> None:
    """Per-task cost of Lotse's use cases against raw SpiffWorkflow, on generated sequential models."""
    from benchmarks.engine import run

    result = run(cases=cases, sizes=[int(size) for size in sizes.split(",")])
    click.echo(json.dumps(result, indent=2))


@bench.command("deadlines")
@click.option("--cases", default=300, help="Cases opened over the simulated weeks.")
@click.option("--weeks", default=13, help="Simulated weeks (a quarter).")
@click.option("--seed", default=2026, help="Seed of the random delays and risk answers.")
@click.option("--counsellors", default=4, help="Simulated counsellors (plus one team lead).")
@click.option(
    "--skip-idle",
    is_flag=True,
    help="Skip the minutes in which provably nothing is due (default: sweep every minute).",
)
def bench_deadlines(cases: int, weeks: int, seed: int, counsellors: int, skip_idle: bool) -> None:
    """A simulated quarter under a fake clock on SQLite: deadlines met, missed, reminded and escalated."""
    from benchmarks.deadlines import run

    result = run(cases=cases, weeks=weeks, seed=seed, counsellors=counsellors, skip_idle=skip_idle)
    click.echo(json.dumps(result, indent=2))


@bench.command("referrals")
@click.option("--offers", default=5000, help="Generated directory entries (plus the seed).")
@click.option(
    "--queries", default=300, help="Rankings measured per variant (the first fifth, at most 20, warm up)."
)
@click.option(
    "--database-url",
    default=None,
    help="Measure on this (empty) database instead of a temporary SQLite file.",
)
def bench_referrals(offers: int, queries: int, database_url: str | None) -> None:
    """Latency of the ranked referral proposals over a large directory, against a plain Land filter."""
    from benchmarks.referrals import run

    click.echo(json.dumps(run(offers=offers, queries=queries, database_url=database_url), indent=2))


@bench.command("migrate")
@click.option("--cases", default=10_000, help="Running cases to generate on the source version.")
@click.option("--postgres", is_flag=True, help="Also measure on a temporary PostgreSQL database.")
def bench_migrate(cases: int, postgres: bool) -> None:
    """Dry run and migration of running cases between two process versions, against load/save baselines."""
    from benchmarks.migrate import run

    click.echo(json.dumps(run(cases=cases, postgres=postgres), indent=2))


@bench.command("sweep")
@click.option("--cases", default=10_000, help="Cases, each with one due timer.")
@click.option("--no-postgres", is_flag=True, help="Only the baseline and SQLite.")
def bench_sweep(cases: int, no_postgres: bool) -> None:
    """Timers fired per second: raw SpiffWorkflow, one sweeper on SQLite and PostgreSQL, two on PostgreSQL."""
    from benchmarks.sweep import run

    click.echo(json.dumps(run(cases=cases, postgres=not no_postgres), indent=2))


@bench.command("sandbox")
@click.option("--rounds", default=30, help="Alternating rounds of bounded and unbounded evaluations.")
def bench_sandbox(rounds: int) -> None:
    """Cost per evaluation of model code with the run-time bounds, against plain RestrictedPython."""
    from benchmarks.sandbox import run

    click.echo(json.dumps(run(rounds=rounds), indent=2))


@bench.command("web")
@click.option(
    "--part", type=click.Choice(["submit", "inbox", "all"]), default="all", help="Which measurement."
)
@click.option("--cases", default=20, help="Cases per model size (submit).")
@click.option("--sizes", default="10,50,100", help="User tasks per generated model (submit).")
@click.option("--inbox-cases", default=100_000, help="Generated cases (inbox); a fifth are open.")
@click.option("--seconds", default=20.0, help="Measured seconds per concurrent load phase (inbox).")
@click.option("--clients", default=20, help="Concurrent clients (inbox).")
@click.option("--rebuild", is_flag=True, help="Generate the inbox database again even if it fits.")
@click.option("--worker-class", default="gthread", type=click.Choice(["gthread", "sync"]), help="gunicorn.")
@click.option("--workers", default=2, help="gunicorn worker processes.")
@click.option("--threads", default=4, help="Threads per gunicorn worker (gthread).")
def bench_web(
    part: str,
    cases: int,
    sizes: str,
    inbox_cases: int,
    seconds: float,
    clients: int,
    rebuild: bool,
    worker_class: str,
    workers: int,
    threads: int,
) -> None:
    """Task submit over HTTP on SQLite, and the inbox on PostgreSQL under gunicorn with concurrent clients."""
    from benchmarks.web import ServerConfig, run

    result = run(
        part=part,
        cases=cases,
        sizes=tuple(int(size) for size in sizes.split(",")),
        inbox_cases=inbox_cases,
        seconds=seconds,
        clients=clients,
        rebuild=rebuild,
        config=ServerConfig(worker_class, workers, threads),
    )
    click.echo(json.dumps(result, indent=2))
