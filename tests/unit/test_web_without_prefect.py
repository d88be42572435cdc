"""The web process never imports Prefect (nor could it start a hidden Prefect server)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
from web.app import create_app
import lotse.cli, integrations.jobs, integrations.scheduler
app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1]})
app.test_client().get("/login")
print(sorted(name for name in sys.modules if name.split(".")[0] == "prefect"))
"""


def test_web_app_cli_and_jobs_do_not_import_prefect(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
