"""``lotse scheduler``: the embedded Prefect set-up, supervised as two child processes.

1. ``prefect server start`` on SQLite under ``<instance>/prefect`` (analytics off, flow-run history
   vacuumed), polled on ``/api/health`` until it answers;
2. ``python -m integrations.flows``: ``serve()`` of the deployments against that server.

Both children run in their own process groups; on Ctrl-C or SIGTERM the supervisor stops the runner,
then the server, each with its whole group (SIGTERM, then SIGKILL after a grace period). This module
does not import Prefect, so neither the supervisor nor the web process carries it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORY_DAYS = 7
GRACE_SECONDS = 15.0


class SchedulerError(RuntimeError):
    pass


def prefect_environment(instance: Path, port: int, ui: bool, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of both children: a private Prefect home, server and client settings."""
    home = instance / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    return {
        **base,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_ENABLED": "true" if ui else "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",  # never start a hidden server of its own
        "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
        "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(HISTORY_DAYS * 86400),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH", "")])),
    }


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 90.0) -> float:
    """Poll ``url`` until it answers 200; returns the seconds it took. The server must stay alive."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise SchedulerError(f"The Prefect server exited with code {server.returncode} while starting.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SchedulerError(f"The Prefect server did not become healthy within {timeout:.0f} s ({url}).")


def stop_group(
    process: subprocess.Popen[bytes], first: int = signal.SIGTERM, grace: float = GRACE_SECONDS
) -> None:
    """Stop a child and everything it started (its process group): ``first``, then SIGKILL."""
    if process.poll() is None:
        _signal_group(process, first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    _signal_group(process, signal.SIGKILL)  # leftovers in the group (the server's own workers)
    process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def run_scheduler(
    instance: Path,
    lotse_env: Mapping[str, str],
    port: int = 4200,
    ui: bool = False,
    say: Callable[[str], None] = print,
) -> int:
    """Start server and runner, supervise them until a signal or a child's death; returns an exit code."""
    env = prefect_environment(instance, port, ui, {**os.environ, **lotse_env})
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[subprocess.Popen[bytes]] = []
    try:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL if not ui else None,
        )
        children.append(server)
        say(f"Prefect server starting (pid {server.pid}, http://127.0.0.1:{port}) …")
        seconds = wait_healthy(f"http://127.0.0.1:{port}/api/health", server)
        say(f"Prefect server healthy after {seconds:.1f} s.")
        if stopping:
            return 0
        runner = subprocess.Popen(
            [sys.executable, "-m", "integrations.flows"], env=env, cwd=ROOT, start_new_session=True
        )
        children.append(runner)
        say(
            f"Scheduled jobs served (pid {runner.pid}): sweep and outbox every minute, digest 08:45 "
            "on working days, purge 02:30 Europe/Berlin."
        )
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    say(f"A scheduler process (pid {child.pid}) exited with code {child.returncode}.")
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        for child in reversed(children):  # the runner (as on Ctrl-C, which it handles best), then the server
            stop_group(child, signal.SIGINT if child is not children[0] else signal.SIGTERM)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if children:
            say("Scheduler stopped.")
