"""A model whose code fails on the person's new message: the case page and /status name the step, in German
and in English, and say that the message is on the case although the process did not receive it."""

from __future__ import annotations

import html

from engine.cases.lifecycle import open_case
from engine.channels.portal import submit_contact
from engine.channels.triage import add_message_to_case, triage_queue
from engine.processes.deployment import deploy_process
from tests.conftest import COUNSELLOR
from tests.corpus import corpus_files
from tests.steps import case_row, complete
from tests.web.conftest import csrf_token


def test_a_failed_delivery_of_the_new_message_is_shown_on_the_case_and_status_pages(deployed, client, auth):
    _name, bpmn, dmn = corpus_files("message_new_message")
    deploy_process(deployed, "paul", bpmn.replace(b"nachricht['kanal']", b"nachricht['absender']"), dmn)
    case_id = open_case(deployed, COUNSELLOR, process_key="rueckfrage").case_id
    complete(deployed, COUNSELLOR, case_id, "rueckfrage_stellen", {})
    submit_contact(deployed, "Ich wurde bedroht.", "anonym", "", "ein langes Passwort 123")
    [entry] = triage_queue(deployed, COUNSELLOR)
    add_message_to_case(deployed, COUNSELLOR, entry.id, case_row(deployed, case_id).reference)

    auth.login("tara")
    case_page = html.unescape(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    assert "Der Schritt »Antwort lesen« konnte nicht ausgeführt werden" in case_page
    assert "Die Nachricht ist beim Fall; der Prozess hat sie nicht erhalten." in case_page
    assert "Neue Nachricht an den Prozess" in client.get("/status").get_data(as_text=True)
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    case_page = html.unescape(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    assert "The message is on the case; the process did not receive it." in case_page
    assert "New message to the process" in client.get("/status").get_data(as_text=True)


def test_the_case_history_shows_that_the_process_received_the_message(deployed, client, auth):
    _name, bpmn, dmn = corpus_files("message_new_message")
    deploy_process(deployed, "paul", bpmn, dmn)
    case_id = open_case(deployed, COUNSELLOR, process_key="rueckfrage").case_id
    submit_contact(deployed, "Ich wurde bedroht.", "anonym", "", "ein langes Passwort 123")
    [entry] = triage_queue(deployed, COUNSELLOR)
    add_message_to_case(deployed, COUNSELLOR, entry.id, case_row(deployed, case_id).reference)
    auth.login("tara")
    assert "Der Prozess hat die neue Nachricht erhalten" in client.get(f"/faelle/{case_id}").get_data(
        as_text=True
    )
