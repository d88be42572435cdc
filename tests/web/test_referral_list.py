"""The Vermittlung page: one list, directory search hits at its top, no second "Vermittelt an" checklist
(the server fills it from the panel's choices)."""

from __future__ import annotations

from engine.directory.search import search_offers
from tests.conftest import COUNSELLOR
from tests.steps import case_at_vermittlung, stored_variables, task_id_for
from tests.web.conftest import csrf_token


def test_hits_come_first_and_the_choices_are_not_asked_twice(deployed, client, auth):
    case_id = case_at_vermittlung(deployed, COUNSELLOR)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{task_id}?suche=HessenGegen").get_data(as_text=True)
    hit = page.index('<fieldset class="proposal" data-offer="hessengegenhetze"')
    first_proposal = page.index('<fieldset class="proposal" data-offer=')
    assert hit == first_proposal  # the search hit is the list's first entry
    assert 'data-field="vermittlungsziele"' not in page and 'name="vermittlungsziele"' not in page
    assert page.count('<details class="consent">') >= 1  # the handover consent opens on demand

    hateaid = next(offer.id for offer in search_offers(deployed, text="hateaid") if offer.key == "hateaid")
    done = client.post(
        f"/aufgaben/{task_id}",
        data={"csrf_token": csrf_token(page), f"ref-{hateaid}": "given", "panel-suche": "HessenGegen"},
    )
    assert done.status_code == 302
    assert stored_variables(deployed, case_id)["vermittlungsziele"] == ["hateaid"]  # filled by the server
