"""`lotse scheduler` for real: the Prefect server becomes healthy, the deployments are served, and
Ctrl-C (SIGINT) stops the supervisor and every child process it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.smtp_server import free_port

pytestmark = pytest.mark.prefect


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is as good as gone
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_scheduler_starts_and_ctrl_c_stops_all_children(tmp_path):
    env = {**os.environ, "LOTSE_INSTANCE": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("LOTSE_DATABASE_URL", None)
    lotse = [str(Path(sys.executable).parent / "lotse")]
    subprocess.run([*lotse, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True)
    scheduler = subprocess.Popen(
        [*lotse, "scheduler", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, pids = [], []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = scheduler.stdout.readline()
        output.append(line)
        pids += [int(pid) for pid in re.findall(r"\(pid (\d+)", line)]
        if "Scheduled jobs served" in line or scheduler.poll() is not None:
            break
    assert len(pids) == 2, "".join(output)
    assert all(_alive(pid) for pid in pids)
    assert (tmp_path / "prefect" / "prefect.db").exists()  # the server's database under the instance
    scheduler.send_signal(signal.SIGINT)
    rest, _ = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 0, "".join(output) + rest
    assert "Scheduler stopped." in rest
    assert not any(_alive(pid) for pid in pids)
    for group in pids:  # each child led its own process group: nothing of it is left
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
