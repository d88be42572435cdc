"""Intake → risk carries over: what was ticked at intake is pre-ticked in the risk questions, and the
contact channel chosen on "Neuer Fall" is not asked a second time."""

from __future__ import annotations

from engine.cases.lifecycle import open_case
from engine.demo.seed import EINGANG
from tests.conftest import COUNSELLOR
from tests.steps import stored_variables, task_id_for
from tests.web.conftest import submit_task


def test_the_channel_is_not_asked_twice_and_stalking_carries_into_the_risk_questions(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    task_id = task_id_for(deployed, case_id, "eingang")
    auth.login("anna")
    page = client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert 'id="f-kontaktkanal"' not in page  # not asked again
    given = page[page.index('data-given="kontaktkanal"') :]
    assert "Telefon" in given[: given.index("</p>")]
    assert '<input type="hidden" name="kontaktkanal" value="telefon">' in page  # sent along as it was
    done = submit_task(client, task_id, {**EINGANG, "vorfallarten": ["nachstellung", "doxxing"]})
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    assert stored_variables(deployed, case_id)["kontaktkanal"] == "telefon"  # kept from the start

    risk = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'risikoeinschaetzung')}").get_data(
        as_text=True
    )
    for field in ("nachstellung", "privatsphaere_exponiert"):
        tag = risk[risk.index(f'id="f-{field}"') :]
        assert "checked" in tag[: tag.index(">")], field
    tag = risk[risk.index('id="f-drohung_leib_leben"') :]
    assert "checked" not in tag[: tag.index(">")]


def test_a_case_opened_without_a_channel_asks_for_it(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login("anna")
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'eingang')}").get_data(as_text=True)
    assert '<select id="f-kontaktkanal" name="kontaktkanal"' in page
