"""Reply templates and replies from the case page, through HTTP: team leads keep templates (unknown
placeholders refused at save time, in German and English, nothing typed lost); a counsellor fills one into
the reply form with the case's values and answers any message of the conversation, not only the latest;
the conversation tells the delivery truthfully."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from engine.channels.mail_intake import take_mail
from engine.channels.triage import add_message_to_case, open_case_from_message, triage_queue
from engine.kernel.settings import ImapSettings
from engine.person.privacy import Particulars, change_mode, save_person
from engine.store.channel_tables import ReplyTemplate
from engine.store.tables import OutboxMessage
from integrations.imap_mail import ImapMailbox
from tests.conftest import COUNSELLOR
from tests.steps import message_content
from tests.web.conftest import csrf_token

TEMPLATE = "{anrede},\n\nzu Ihrem Anliegen ({fallnummer}) melden wir uns morgen.\n\n{berater}"


def _intake(ctx, server):
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        return take_mail(ctx, mailbox)


def _mail(sender: str, subject: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, "info@starkestelle.de"
    message["Subject"], message["Message-ID"] = subject, message_id
    message.set_content(f"{subject}: bitte melden.")
    return message.as_bytes()


def test_team_leads_keep_templates_and_unknown_placeholders_are_refused(deployed, client, auth):
    auth.login("anna")
    assert client.get("/vorlagen").status_code == 403
    client.get("/logout")
    auth.login("tara")
    page = client.get("/vorlagen").get_data(as_text=True)
    assert "{fallnummer}" in page and "Noch keine Vorlagen." in page
    token = csrf_token(page)
    refused = client.post(
        "/vorlagen", data={"csrf_token": token, "titel": "Rückruf", "text": "Hallo {vorname}"}
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert (
        "Unbekannter Platzhalter {vorname}. Erlaubt sind: {anrede}, {name}, {fallnummer}, {berater}." in text
    )
    assert 'value="Rückruf"' in text and "Hallo {vorname}</textarea>" in text  # nothing typed is lost
    brace = client.post("/vorlagen", data={"csrf_token": token, "titel": "Klammer", "text": "Hallo {name"})
    assert brace.status_code == 422 and "Eine geschweifte Klammer steht allein." in brace.get_data(
        as_text=True
    )
    spec = client.post("/vorlagen", data={"csrf_token": token, "titel": "Format", "text": "{name!r}"})
    assert "Unbekannter Platzhalter {name!r}" in spec.get_data(as_text=True)
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    assert "Templates for answers" in client.get("/vorlagen").get_data(as_text=True)
    english = client.post("/vorlagen", data={"csrf_token": token, "titel": "X", "text": "{vorname}"})
    assert "Unknown placeholder {vorname}. Allowed are:" in english.get_data(as_text=True)
    empty = client.post("/vorlagen", data={"csrf_token": token, "titel": "", "text": ""})
    assert "Please give a title." in empty.get_data(as_text=True)
    client.post("/sprache", data={"csrf_token": token, "language": "de"})
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalars(select(ReplyTemplate)).all() == []

    saved = client.post("/vorlagen", data={"csrf_token": token, "titel": "Rückruf", "text": TEMPLATE})
    assert saved.headers["Location"].endswith("/vorlagen")
    twice = client.post("/vorlagen", data={"csrf_token": token, "titel": "Rückruf", "text": "{name}"})
    assert "Eine Vorlage mit diesem Titel gibt es schon." in twice.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        template_id = session.scalar(select(ReplyTemplate.id))
    changed = client.post(
        f"/vorlagen/{template_id}", data={"csrf_token": token, "titel": "Rückruf morgen", "text": TEMPLATE}
    )
    assert changed.status_code == 302
    confirm = client.get(f"/vorlagen/{template_id}/loeschen").get_data(as_text=True)
    assert "Vorlage „Rückruf morgen“ löschen?" in confirm
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(ReplyTemplate.title)) == "Rückruf morgen"  # not before confirming
    client.post(f"/vorlagen/{template_id}/loeschen", data={"csrf_token": csrf_token(confirm)})
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalars(select(ReplyTemplate)).all() == []


def test_a_counsellor_fills_a_template_and_answers_an_earlier_message(
    deployed, client, auth, dovecot, monkeypatch
):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    ctx = deployed
    dovecot.append(_mail("Maria Muster <maria@example.org>", "Drohung", "<m1@example.org>"))
    _intake(ctx, dovecot)
    case = open_case_from_message(ctx, COUNSELLOR, triage_queue(ctx, COUNSELLOR)[0].id)
    dovecot.append(_mail("Büro Muster <buero@example.org>", "Nachtrag vom Büro", "<m2@example.org>"))
    _intake(ctx, dovecot)
    add_message_to_case(ctx, COUNSELLOR, triage_queue(ctx, COUNSELLOR)[0].id, case.reference)
    change_mode(ctx, COUNSELLOR, case.case_id, "vertraulich")
    save_person(ctx, COUNSELLOR, case.case_id, None, None, Particulars(name="Maria Muster"))

    auth.login("tara")
    page = client.get("/vorlagen").get_data(as_text=True)
    client.post("/vorlagen", data={"csrf_token": csrf_token(page), "titel": "Rückruf", "text": TEMPLATE})
    client.get("/logout")
    with ctx.unit_of_work(writes=False) as session:
        template_id = session.scalar(select(ReplyTemplate.id))

    auth.login("anna")
    page = client.get(f"/faelle/{case.case_id}").get_data(as_text=True)
    assert 'id="template-picker"' in page and "Rückruf</option>" in page
    filled = client.get(f"/faelle/{case.case_id}?vorlage={template_id}").get_data(as_text=True)
    textarea = filled.split('id="antwort"', 1)[1].split("</textarea>", 1)[0]
    assert "Guten Tag Maria Muster," in textarea and f"({case.reference})" in textarea and "Anna" in textarea
    assert "{" not in textarea

    # both messages can be answered; the earlier one is chosen here
    with ctx.unit_of_work(writes=False) as session:
        from engine.store.channel_tables import InboundMessage

        first, second = session.scalars(select(InboundMessage.id).order_by(InboundMessage.id)).all()
    form = filled.split('id="an"', 1)[1].split("</select>", 1)[0]
    assert f'value="{first}"' in form and f'value="{second}"' in form
    sent = client.post(
        f"/faelle/{case.case_id}/antwort",
        data={"csrf_token": csrf_token(filled), "an": str(first), "nachricht": "Guten Tag, wir rufen an."},
    )
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    conversation = page.split('id="conversation"', 1)[1].split("</ol>", 1)[0]
    assert "wartet auf Versand (kein Mailserver eingerichtet)" in conversation
    assert "übergeben" not in conversation and "versandt" not in conversation
    with ctx.unit_of_work(writes=False) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "antwort")).one()
    content = message_content(ctx, row)
    assert content.to == "maria@example.org" and content.in_reply_to == "<m1@example.org>"
    assert content.subject == f"Re: Drohung [Lotse {case.reference}]"

    # the latest sender is the default when nothing is chosen; with a mail server it is "in the queue"
    monkeypatch.setenv("LOTSE_SMTP_HOST", "mail.example.org")
    client.post(
        f"/faelle/{case.case_id}/antwort",
        data={"csrf_token": csrf_token(page), "nachricht": "An das Büro."},
    )
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert message_content(ctx, rows[-1]).to == "buero@example.org"
    page = client.get(f"/faelle/{case.case_id}").get_data(as_text=True)
    assert page.count("wartet auf Versand (in der Warteschlange)") == 2

    # a message of another case cannot be answered from this one
    refused = client.post(
        f"/faelle/{case.case_id}/antwort",
        data={"csrf_token": csrf_token(page), "an": "999", "nachricht": "Hallo"},
    )
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Auf diese Nachricht kann von diesem Fall aus nicht geantwortet werden." in shown
    assert ">Hallo</textarea>" in shown, "what was typed stays in the form"
