"""Neuer Fall offers every process staff can start (the built-in one preselected) and its start form."""

from __future__ import annotations

from sqlalchemy import select

from engine.processes.deployment import deploy_process
from engine.store.case_store import case_record, load_instance
from engine.store.tables import Case, ProcessVersion
from tests.web.conftest import csrf_token
from tests.web.start_form_model import START_FORM_MODEL


def _cases_on(ctx, key: str) -> list[Case]:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalars(
            select(Case)
            .join(ProcessVersion, Case.process_version_id == ProcessVersion.id)
            .where(ProcessVersion.key == key)
        ).all()


def test_the_built_in_process_is_preselected_and_another_offers_its_start_form(deployed, client, auth):
    deploy_process(deployed, "paul", START_FORM_MODEL)
    auth.login()
    page = client.get("/faelle/neu").get_data(as_text=True)
    assert '<option value="fallbearbeitung" selected>' in page and '<option value="schulung"' in page
    assert 'id="start-form"' not in page
    page = client.get("/faelle/neu?prozess=schulung").get_data(as_text=True)
    assert 'id="start-form"' in page and "Zahl der Teilnehmenden" in page
    assert 'name="programm"' not in page and "Grundkurs" in page  # readonly: shown, not editable


def test_a_start_form_is_validated_at_the_field_and_its_values_start_the_case(deployed, client, auth):
    deploy_process(deployed, "paul", START_FORM_MODEL)
    auth.login()
    token = csrf_token(client.get("/faelle/neu?prozess=schulung").get_data(as_text=True))
    sent = {"csrf_token": token, "prozess": "schulung", "kontaktkanal": "telefon", "teilnehmende": "0"}
    refused = client.post("/faelle/neu", data=sent)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-field="format"' in page and "Pflichtfeld" in page
    assert 'value="0"' in page  # nothing typed is lost
    assert _cases_on(deployed, "schulung") == []
    accepted = client.post(
        "/faelle/neu", data={**sent, "teilnehmende": "12", "format": "online", "programm": "Geheim"}
    )
    assert accepted.status_code == 302
    [case] = _cases_on(deployed, "schulung")
    with deployed.unit_of_work(writes=False) as session:  # the case's variables, as the engine stored them
        data = load_instance(deployed, session, case_record(session, case.id)).workflow.data
    assert data["teilnehmende"] == 12 and data["format"] == "online" and "programm" not in data


def test_the_english_interface_shows_the_models_english_labels_and_values(deployed, client, auth):
    deploy_process(deployed, "paul", START_FORM_MODEL)
    auth.login()
    token = csrf_token(client.get("/faelle/neu").get_data(as_text=True))
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    page = client.get("/faelle/neu?prozess=schulung").get_data(as_text=True)
    assert "Number of participants" in page and "On site" in page
    assert "Zahl der Teilnehmenden" not in page and "Online" in page  # no English given: the model's text
    token = csrf_token(page)
    opened = client.post(
        "/faelle/neu",
        data={
            "csrf_token": token,
            "prozess": "schulung",
            "kontaktkanal": "telefon",
            "teilnehmende": "3",
            "format": "vor_ort",
        },
    )
    task_page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "<h1>Plan the training</h1>" in task_page and "Agree a date with the group." in task_page
    assert "Schulung planen" not in task_page
