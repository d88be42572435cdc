"""``lotse bench …``: the benchmarks, each printing JSON with its own bars."""

from __future__ import annotations

import json

import click


@click.group()
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


@bench.command("intake")
@click.option("--messages", default=1000, help="Messages appended to a throw-away Dovecot mailbox.")
def bench_intake(messages: int) -> None:
    """Mail intake (IMAP to intake tasks) in messages/s against imaplib fetch+parse alone (bar: >= 50 %)."""
    from benchmarks.intake import run

    click.echo(json.dumps(run(messages=messages), indent=2))


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


@bench.command("keys")
@click.option("--cases", default=100_000, help="Cases whose state is rotated (use fewer for a quick run).")
@click.option("--batch", default=500, help="Rows per transaction.")
def bench_keys(cases: int, batch: int) -> None:
    """`lotse keys rotate` over many cases on a temporary PostgreSQL database, in rows/s against reading and
    writing the same rows without crypto in the same run (bar: >= 0.3 of the baseline)."""
    from benchmarks.keys import run

    click.echo(json.dumps(run(cases=cases, batch=batch), indent=2))


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


@bench.command("search")
@click.option("--cases", default=100_000, help="Generated cases (bulk inserts).")
@click.option("--queries", default=200, help="Searches per variant (the first fifth, at most 20, warm up).")
@click.option(
    "--database-url",
    default=None,
    help="Measure on this (empty) database instead of a temporary PostgreSQL one.",
)
def bench_search(cases: int, queries: int, database_url: str | None) -> None:
    """Finding a case by reference, phone number (blind index) and filters, against a primary-key lookup."""
    from benchmarks.search import run

    click.echo(json.dumps(run(cases=cases, queries=queries, database_url=database_url), indent=2))


@bench.command("statistics")
@click.option("--cases", default=100_000, help="Generated cases of one year (bulk inserts).")
@click.option(
    "--database-url",
    default=None,
    help="Measure on this (empty) database instead of a temporary PostgreSQL one.",
)
def bench_statistics(cases: int, database_url: str | None) -> None:
    """The year report with disclosure control over 100,000 cases, against one plain GROUP BY count."""
    from benchmarks.statistics import run

    click.echo(json.dumps(run(cases=cases, database_url=database_url), indent=2))
