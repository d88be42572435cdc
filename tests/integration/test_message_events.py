"""A model that waits for the person's new message ("neue_nachricht") continues when a reply lands on the
case: by e-mail through the real intake (Dovecot), from triage, and from the anonymous mailbox. The case
is written through the engine's normal save path (its lock version moves on); a case whose model does
not wait for the message is left as it was."""

from __future__ import annotations

from datetime import timedelta

from engine.cases.lifecycle import open_case
from engine.cases.step_failures import failures_of_case
from engine.channels.portal import open_mailbox, submit_contact, write_back
from engine.channels.triage import add_message_to_case, triage_queue
from engine.kernel.actor import Actor
from engine.processes.deployment import deploy_process
from engine.processes.review import PROCESS_OWNER, ModelFiles, review_model
from tests.conftest import COUNSELLOR
from tests.corpus import corpus_files
from tests.integration.test_mail_conversation import _intake, _mail
from tests.steps import case_row, complete, open_tasks, stored_variables

OWNER = Actor("paul", frozenset({PROCESS_OWNER}))


def _case_on_the_model(ctx) -> int:
    name, bpmn, dmn = corpus_files("message_new_message")
    review = review_model(ctx, OWNER, ModelFiles(bpmn, dmn, name))
    assert review.deployable, review.problems
    assert not [p for p in review.warnings if "'nachricht'" in p.message], review.warnings  # Lotse sets it
    deploy_process(ctx, "paul", bpmn, dmn)
    return open_case(ctx, COUNSELLOR, process_key="rueckfrage").case_id


def _steps(ctx, case_id: int) -> set[str]:
    return set(open_tasks(ctx, case_id)) - {"neue_nachricht"}  # without Lotse's own "Neue Nachricht" rows


def test_a_mail_reply_reaches_the_boundary_event_and_then_the_catch_event(deployed, dovecot, clock):
    ctx = deployed
    case_id = _case_on_the_model(ctx)
    reference = case_row(ctx, case_id).reference
    assert _steps(ctx, case_id) == {"rueckfrage_stellen"}
    before = case_row(ctx, case_id).lock_version

    clock.advance(timedelta(minutes=5))
    dovecot.append(_mail(f"Frage [Lotse {reference}]", "Noch etwas.", "<eins@example.org>"))
    assert _intake(ctx, dovecot).to_cases == 1
    # the non-interrupting boundary event fired: its step opened, the step it sits on stays open
    assert _steps(ctx, case_id) == {"rueckfrage_stellen", "zwischennachricht_lesen"}
    assert case_row(ctx, case_id).lock_version > before
    assert stored_variables(ctx, case_id)["nachricht"]["kanal"] == "email"
    assert "Noch etwas" not in str(stored_variables(ctx, case_id))  # the text stays with the conversation

    complete(ctx, COUNSELLOR, case_id, "rueckfrage_stellen", {})
    assert _steps(ctx, case_id) == {"zwischennachricht_lesen"}  # waiting at the catch event
    clock.advance(timedelta(hours=1))
    dovecot.append(_mail(f"Re: Frage [Lotse {reference}]", "Hier die Antwort.", "<zwei@example.org>"))
    assert _intake(ctx, dovecot).to_cases == 1
    assert _steps(ctx, case_id) == {"zwischennachricht_lesen", "antwort_lesen"}
    assert open_tasks(ctx, case_id)["antwort_lesen"].priority == 70  # the model reads the message's channel


def test_messages_from_triage_and_the_anonymous_mailbox_reach_the_process(deployed, clock):
    ctx = deployed
    case_id = _case_on_the_model(ctx)
    reference = case_row(ctx, case_id).reference
    code = submit_contact(ctx, "Ich wurde bedroht.", "anonym", "", "ein langes Passwort 123").code
    [entry] = triage_queue(ctx, COUNSELLOR)
    add_message_to_case(ctx, COUNSELLOR, entry.id, reference)  # staff put the portal message on the case
    assert _steps(ctx, case_id) == {"rueckfrage_stellen", "zwischennachricht_lesen"}
    assert stored_variables(ctx, case_id)["nachricht"]["kanal"] == "portal"

    complete(ctx, COUNSELLOR, case_id, "rueckfrage_stellen", {})
    mailbox = open_mailbox(ctx, code, "ein langes Passwort 123")
    write_back(ctx, mailbox, "Hier meine Antwort.")  # the person answers in the anonymous mailbox
    assert _steps(ctx, case_id) == {"zwischennachricht_lesen", "antwort_lesen"}
    assert open_tasks(ctx, case_id)["antwort_lesen"].priority == 60

    complete(ctx, COUNSELLOR, case_id, "antwort_lesen", {})
    before = case_row(ctx, case_id).lock_version
    write_back(ctx, mailbox, "Noch eine Frage.")  # nothing waits any more: the case stays as it was
    assert case_row(ctx, case_id).lock_version == before and _steps(ctx, case_id) == {
        "zwischennachricht_lesen"
    }


def test_a_case_whose_model_does_not_wait_is_left_alone(deployed, dovecot, clock):
    ctx = deployed
    case_id = open_case(ctx, COUNSELLOR).case_id  # the shipped model catches no "neue_nachricht"
    row = case_row(ctx, case_id)
    dovecot.append(_mail(f"Frage [Lotse {row.reference}]", "Hallo.", "<drei@example.org>"))
    assert _intake(ctx, dovecot).to_cases == 1
    assert case_row(ctx, case_id).lock_version == row.lock_version
    assert "neue_nachricht" in open_tasks(ctx, case_id)  # the counsellor hears of it as before


def test_a_model_that_fails_on_the_message_is_recorded_and_the_case_kept(deployed, clock):
    ctx = deployed
    _name, bpmn, dmn = corpus_files("message_new_message")
    failing = bpmn.replace(b"nachricht['kanal'] == 'email'", b"nachricht['absender'] == 'email'")
    assert failing != bpmn
    deploy_process(ctx, "paul", failing, dmn)
    case_id = open_case(ctx, COUNSELLOR, process_key="rueckfrage").case_id
    complete(ctx, COUNSELLOR, case_id, "rueckfrage_stellen", {})
    before = case_row(ctx, case_id).lock_version
    submit_contact(ctx, "Ich wurde bedroht.", "anonym", "", "ein langes Passwort 123")
    [entry] = triage_queue(ctx, COUNSELLOR)
    add_message_to_case(ctx, COUNSELLOR, entry.id, case_row(ctx, case_id).reference)
    assert case_row(ctx, case_id).lock_version == before and _steps(ctx, case_id) == set()
    with ctx.unit_of_work(writes=False) as session:
        [failure] = failures_of_case(session, case_id)
    assert (failure.step, failure.element_name) == ("message", "Antwort lesen")
