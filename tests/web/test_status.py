"""The interim status page proves the engine is wired: it counts what the engine wrote."""

from __future__ import annotations

import re

from engine.cases.lifecycle import open_case
from tests.conftest import COUNSELLOR


def test_status_counts_open_cases_and_tasks(deployed, client, auth):
    open_case(deployed, COUNSELLOR)
    open_case(deployed, COUNSELLOR)
    assert client.get("/status").status_code == 302  # not without a login
    auth.login()
    assert client.get("/").status_code == 200  # the inbox is the start page
    page = client.get("/status").get_data(as_text=True)
    assert re.search(r'id="open-cases">2<', page) and re.search(r'id="open-tasks">2<', page)
    assert "fallbearbeitung" in page and "Eingang erfassen" in page
