"""The English interface shows the shipped model's English step names, instructions, labels and values;
the German interface keeps the model's German texts."""

from __future__ import annotations

import json

from engine.cases.lifecycle import open_case
from engine.cases.risk_rules import rule_texts
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from tests.conftest import COUNSELLOR
from tests.steps import complete, task_id_for
from tests.web.conftest import csrf_token


def _in_english(client) -> None:
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/sprache", data={"csrf_token": token, "language": "en"})


def test_the_inbox_shows_the_models_english_step_names(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    german = client.get("/?tab=groups").get_data(as_text=True)
    assert ">Eingang erfassen</a>" in german and "Record the intake" not in german
    _in_english(client)
    page = client.get("/?tab=groups").get_data(as_text=True)
    assert ">Record the intake</a>" in page and ">Eingang erfassen</a>" not in page
    # the step filter too
    assert '<option value="risikostufe_bestaetigen" >Confirm the risk level</option>' in page
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    page = client.get("/?tab=groups").get_data(as_text=True)
    assert ">Assess the risk</a>" in page


def test_a_task_page_shows_english_title_instructions_labels_and_values(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    _in_english(client)
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'eingang')}").get_data(as_text=True)
    assert "<h1>Record the intake</h1>" in page
    assert "Record how the person got in touch" in page
    assert "Contact channel" in page and ">Telephone</option>" in page
    assert "Kind of incident (several may apply)" in page and "> Incitement to hatred</label>" in page
    assert "North Rhine-Westphalia" in page
    for german in ("Eingang erfassen", "Kontaktkanal", "Volksverhetzung", "Nordrhein-Westfalen"):
        assert german not in page
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    )
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'risikostufe_bestaetigen')}").get_data(
        as_text=True
    )
    assert "<h1>Confirm the risk level</h1>" in page and ">HOCH (high)</option>" in page
    # the earlier steps beside the form: their names, labels and answers in English
    assert "<h3>Record the intake</h3>" in page and "<h3>Assess the risk</h3>" in page
    assert "<dt>Contact channel</dt><dd>Telephone</dd>" in page
    assert "<dt>Threat to life or limb</dt>" in page
    # the case's facts beside the form and on the case page: the model's English value names
    assert "<dd>North Rhine-Westphalia</dd>" in page and "Nordrhein-Westfalen" not in page
    case_page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert (
        "<dd>North Rhine-Westphalia</dd>" in case_page
        and "<dd>Honorary mayor / local council chair</dd>" in case_page
    )
    # the case's steps, open and done, by the model's English names
    assert ">Confirm the risk level</a>" in case_page and "<summary>Record the intake –" in case_page
    assert "Eingang erfassen" not in case_page and "Risikostufe bestätigen" not in case_page


def test_the_german_task_page_keeps_the_models_german_texts(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'eingang')}").get_data(as_text=True)
    assert "<h1>Eingang erfassen</h1>" in page and "Kontaktkanal" in page and ">Telefon</option>" in page
    assert "Record the intake" not in page and "Contact channel" not in page
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    case_page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "<dd>Nordrhein-Westfalen</dd>" in case_page and "North Rhine" not in case_page


def test_the_risk_confirmation_shows_the_decision_tables_english_rule_text(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    )
    auth.login()
    task = f"/aufgaben/{task_id_for(deployed, case_id, 'risikostufe_bestaetigen')}"
    german = _applied_rule(client.get(task).get_data(as_text=True))
    assert "R2: körperlicher Angriff, Brandanschlag oder Beschädigung am Wohnort" in german
    assert "physical attack" not in german
    _in_english(client)
    english = _applied_rule(client.get(task).get_data(as_text=True))
    assert "<li>R2: physical attack, arson or damage at the home in the last 30 days</li>" in english
    assert "körperlicher Angriff" not in english


def test_a_rule_without_english_text_keeps_its_german_one():
    dmn = (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d"><decision id="x">'
        '<decisionTable id="t"><output id="o" name="risikoregel" typeRef="string"/>'
        '<rule id="r"><description>R1: nur deutsch</description>'
        '<outputEntry id="e"><text>"R1"</text></outputEntry></rule></decisionTable></decision></definitions>'
    )
    (text,) = rule_texts(json.dumps({"x.dmn": dmn}), "R1")
    assert text.in_language("en") == "R1: nur deutsch" == text.in_language("de")


def _applied_rule(page: str) -> str:
    rule = page[page.index('id="applied-rule"') :]
    return rule[: rule.index("</div>")]


def test_lotses_own_new_message_step_is_named_in_english_and_offered_in_the_filter(deployed, client, auth):
    from engine.channels.conversation import note_new_message

    case_id = open_case(deployed, COUNSELLOR).case_id
    with deployed.unit_of_work() as session:
        note_new_message(session, case_id, 4711, deployed.clock.now())
        session.commit()
    auth.login()
    german = client.get("/?tab=groups").get_data(as_text=True)
    assert (
        ">Neue Nachricht</a>" in german
        and '<option value="neue_nachricht" >Neue Nachricht</option>' in german
    )
    _in_english(client)
    page = client.get("/?tab=groups").get_data(as_text=True)
    assert ">New message</a>" in page and ">Neue Nachricht</a>" not in page
    assert '<option value="neue_nachricht" >New message</option>' in page
