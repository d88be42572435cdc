"""The information path through HTTP: intake 'nicht betroffen' leads straight to the prevention step, which
lists the directory's prevention offers; completing it closes the case."""

from __future__ import annotations

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG
from engine.directory.csv_exchange import load_seed
from tests.conftest import COUNSELLOR
from tests.steps import case_row, open_tasks, task_id_for
from tests.web.conftest import submit_task


def test_not_affected_goes_to_prevention_with_offers_and_closes(deployed, client, auth):
    load_seed(deployed)
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    eingang = task_id_for(deployed, case_id, "eingang")
    claim_task(deployed, COUNSELLOR, eingang)
    auth.login("anna")
    values = {**EINGANG, "betroffen": "nicht_betroffen", "vorfallarten": "kein_vorfall"}
    assert submit_task(client, eingang, values).status_code == 302
    assert set(open_tasks(deployed, case_id)) == {"praevention"}
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'praevention')}").get_data(as_text=True)
    assert 'id="prevention-offers"' in page and "stark-im-amt.de" in page
    assert "Angst laut Selbsteinschätzung" not in page
    done = submit_task(
        client, task_id_for(deployed, case_id, "praevention"), {"material": "stark_im_amt_portal"}
    )
    assert done.status_code == 302
    assert case_row(deployed, case_id).status == "closed"
