"""The risk confirmation page names the decision table's rule with its text, and its sidebar does not show
the proposal as the case's level before anyone confirmed it."""

from __future__ import annotations

from engine.cases.lifecycle import open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from tests.conftest import COUNSELLOR
from tests.steps import complete, task_id_for


def test_the_confirmation_shows_the_rule_and_its_text_and_no_level_yet(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    )
    auth.login("anna")
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'risikostufe_bestaetigen')}").get_data(
        as_text=True
    )
    rule = page[page.index('id="applied-rule"') :]
    rule = rule[: rule.index("</div>")]
    assert "Vorschlag der Entscheidungstabelle: HOCH" in rule and "angewandte Regel R2" in rule
    assert "R2: körperlicher Angriff, Brandanschlag oder Beschädigung am Wohnort" in rule  # the DMN's text
    sidebar = page[page.index('id="context-title"') :]
    level = sidebar[sidebar.index('id="sheet-risk-level"') :]
    level = level[: level.index("</dd>")]
    assert "noch nicht bestätigt" in level and "Vorschlag: HOCH" in level
    assert '<span class="risk hoch"' not in level

    case_page = client.get(f"/faelle/{case_id}").get_data(as_text=True)  # the case page says the same
    assert '<span class="risk none" id="risk-level">noch nicht bestätigt</span>' in case_page
    complete(deployed, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": "HOCH"})
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'vermittlung')}").get_data(as_text=True)
    assert 'id="applied-rule"' not in page
    assert '<span class="risk hoch" id="sheet-risk-level">HOCH</span>' in page
    assert '<span class="risk hoch" id="risk-level">HOCH</span>' in client.get(f"/faelle/{case_id}").get_data(
        as_text=True
    )
