"""After the Vermittlung the counsellor lands on the inbox with a way back to the case."""

from __future__ import annotations

from engine.directory.search import search_offers
from tests.conftest import COUNSELLOR
from tests.steps import case_at_vermittlung, task_id_for
from tests.web.conftest import csrf_token


def test_after_the_vermittlung_the_inbox_offers_the_case(deployed, client, auth):
    case_id = case_at_vermittlung(deployed, COUNSELLOR)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    hateaid = next(offer.id for offer in search_offers(deployed, text="hateaid") if offer.key == "hateaid")
    response = client.post(
        f"/aufgaben/{task_id}", data={"csrf_token": csrf_token(page), f"ref-{hateaid}": "given"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    inbox = client.get("/").get_data(as_text=True)
    assert "„Vermitteln (Lotsenfunktion)“ ist erledigt." in inbox
    link = inbox[inbox.index('id="back-to-case"') :]
    assert (
        f'href="/faelle/{case_id}"' in link[: link.index("</p>")] and "zum Fall" in link[: link.index("</p>")]
    )
    assert 'id="back-to-case"' not in client.get("/").get_data(as_text=True)  # shown once
