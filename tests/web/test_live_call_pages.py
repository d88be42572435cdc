"""Keep the call through HTTP: a colleague cannot claim the step after the one the counsellor on the phone
completed; she can give it back from its page."""

from __future__ import annotations

from sqlalchemy import select

from engine.demo.seed import EINGANG
from engine.store.tables import Case
from tests.steps import open_tasks
from tests.web.conftest import csrf_token, form_data


def test_a_colleague_cannot_claim_the_risk_assessment_mid_call(deployed, client, auth, second_client):
    auth.login("anna")
    token = csrf_token(client.get("/faelle/neu").get_data(as_text=True))
    opened = client.post("/faelle/neu", data={"csrf_token": token, "kontaktkanal": "telefon"})
    eingang_url = opened.headers["Location"]
    token = csrf_token(client.get(eingang_url).get_data(as_text=True))
    submitted = client.post(eingang_url, data={**form_data(EINGANG), "csrf_token": token})
    assert submitted.status_code == 302
    with deployed.unit_of_work(writes=False) as session:
        [case_id] = session.scalars(select(Case.id)).all()
    risk = open_tasks(deployed, case_id)["risikoeinschaetzung"]
    assert risk.assignee == "anna"

    ben_token = csrf_token(second_client.get("/").get_data(as_text=True))
    refused = second_client.post(f"/aufgaben/{risk.id}/uebernehmen", data={"csrf_token": ben_token})
    assert refused.status_code == 403  # ben has no part in the case: refused before anything is said
    assert open_tasks(deployed, case_id)["risikoeinschaetzung"].assignee == "anna"

    page = client.get(f"/aufgaben/{risk.id}").get_data(as_text=True)
    assert "Sie haben diese Aufgabe übernommen." in page
    client.post(f"/aufgaben/{risk.id}/freigeben", data={"csrf_token": csrf_token(page)})
    assert open_tasks(deployed, case_id)["risikoeinschaetzung"].assignee is None
