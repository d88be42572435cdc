"""Issue 23, item 17: the inbox's step filter groups the counselling steps apart from the team leads'
escalation steps."""

from __future__ import annotations

import re

from engine.cases.lifecycle import open_case
from tests.conftest import COUNSELLOR


def test_the_step_filter_groups_counselling_and_escalation_steps(deployed, client, auth):
    open_case(deployed, COUNSELLOR)  # the filter offers the steps of the process the list shows
    auth.login("tara")
    page = client.get("/").get_data(as_text=True)
    select = re.search(r'<select id="f-step" name="step">(.*?)</select>', page, re.S)
    assert select, "no step filter"
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select.group(1), re.S))
    assert list(groups) == ["Schritte der Beratung", "Eskalationen (Teamleitung)"]
    work = re.findall(r'<option value="(\w+)"', groups["Schritte der Beratung"])
    escalations = re.findall(r'<option value="(\w+)"', groups["Eskalationen (Teamleitung)"])
    assert "eingang" in work and "vermittlung" in work
    assert "eskalation_eingang" in escalations and "eskalation_vermittlung" in escalations
    assert not any(step.startswith("eskalation_") for step in work)
    assert not set(work) & set(escalations)

    chosen = client.get("/?tab=all&step=eskalation_eingang").get_data(as_text=True)
    assert '<option value="eskalation_eingang" selected>' in chosen
