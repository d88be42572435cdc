"""Need to know includes the people who wrote on a case: a colleague who just saved a note is not refused
the case once someone else takes its open step."""

from __future__ import annotations

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG
from tests.conftest import COUNSELLOR
from tests.steps import complete, task_id_for
from tests.web.conftest import csrf_token


def test_a_colleague_who_wrote_a_note_keeps_the_case(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    risk = task_id_for(deployed, case_id, "risikoeinschaetzung")  # open to the group: ben may see the case
    auth.login("ben")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    saved = client.post(
        f"/faelle/{case_id}/notizen", data={"csrf_token": csrf_token(page), "text": "Rückruf morgen früh."}
    )
    assert saved.status_code == 302
    claim_task(deployed, COUNSELLOR, risk)  # anna takes the step: ben is no longer a candidate for any
    again = client.get(f"/faelle/{case_id}")
    assert again.status_code == 200, again.status_code
    assert "Rückruf morgen früh." in again.get_data(as_text=True)
