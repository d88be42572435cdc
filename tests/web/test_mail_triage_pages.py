"""E-Mail sichten through HTTP: the queue, a message shown sanitised, a case opened from it, a discard
refused at the field without a reason, and the refused messages for administrators."""

from __future__ import annotations

from email.message import EmailMessage

from engine.channels.mail_intake import Limits, take_mail
from engine.kernel.settings import ImapSettings
from integrations.imap_mail import ImapMailbox
from tests.web.conftest import csrf_token


def _intake(ctx, server, limits: Limits | None = None) -> None:
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        take_mail(ctx, mailbox, limits=limits or Limits())


def _html_mail(subject: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Bürgermeister <bm@example.org>"
    message["Subject"], message["Message-ID"] = subject, message_id
    message.set_content(
        '<p>Drohbrief<script>alert("x")</script><img src="https://tracker.example/p.gif"></p>', subtype="html"
    )
    return message.as_bytes()


def test_sight_a_mail_open_a_case_from_it_and_discard_another_with_a_reason(deployed, client, auth, dovecot):
    dovecot.append(_html_mail("Drohung", "<d1@example.org>"), _html_mail("Werbung", "<d2@example.org>"))
    _intake(deployed, dovecot)
    auth.login("anna")
    queue = client.get("/posteingang").get_data(as_text=True)
    assert "Drohung" in queue and "Werbung" in queue and "Bürgermeister &lt;bm@example.org&gt;" in queue
    first = client.get("/posteingang/1").get_data(as_text=True)
    assert "Drohbrief" in first and "alert(" not in first  # the script is gone, not escaped
    assert "tracker.example" not in first

    opened = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(first)})
    assert opened.status_code == 302 and opened.headers["Location"].startswith("/faelle/")
    again = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(first)})
    assert again.status_code == 409 and "schon bearbeitet (von anna)" in again.get_data(as_text=True)

    second = client.get("/posteingang/2").get_data(as_text=True)
    blank = client.post("/posteingang/2/verwerfen", data={"csrf_token": csrf_token(second), "grund": "  "})
    assert blank.status_code == 422 and 'id="grund-error"' in blank.get_data(as_text=True)
    done = client.post(
        "/posteingang/2/verwerfen", data={"csrf_token": csrf_token(second), "grund": "Werbung"}
    )
    assert done.status_code == 302
    assert "Keine Nachrichten zu sichten." in client.get("/posteingang").get_data(as_text=True)


def test_refused_messages_are_listed_for_administrators_only(deployed, client, auth, dovecot):
    dovecot.append(_html_mail("Groß", "<big@example.org>"))
    _intake(deployed, dovecot, Limits(max_bytes=100))
    auth.login("anna")
    assert client.get("/verwaltung/abgewiesen").status_code == 403
    client.get("/logout")
    auth.login("ada")
    page = client.get("/verwaltung/abgewiesen").get_data(as_text=True)
    assert "zu groß" in page and "Groß" not in page  # no content, only the facts


def test_the_case_page_shows_the_conversation_a_reply_waits_for_sending_and_a_new_message_task_leads_there(
    deployed, client, auth, dovecot, monkeypatch
):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    dovecot.append(_html_mail("Drohung", "<c1@example.org>"))
    _intake(deployed, dovecot)
    auth.login("anna")
    first = client.get("/posteingang/1").get_data(as_text=True)
    case_url = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(first)}).headers["Location"]
    page = client.get(case_url).get_data(as_text=True)
    assert 'id="conversation"' in page and "Drohbrief" in page
    empty = client.post(f"{case_url}/antwort", data={"csrf_token": csrf_token(page), "nachricht": " "})
    assert empty.status_code == 422 and "Bitte eine Nachricht schreiben." in empty.get_data(as_text=True)
    long = "Sehr lange Antwort " * 1100  # over 20,000 characters: refused, and kept in the form, in no URL
    refused = client.post(f"{case_url}/antwort", data={"csrf_token": csrf_token(page), "nachricht": long})
    assert refused.status_code == 422 and "Location" not in refused.headers
    assert "zu lang" in refused.get_data(as_text=True) and f">{long}</textarea>" in refused.get_data(
        as_text=True
    )
    sent = client.post(
        f"{case_url}/antwort", data={"csrf_token": csrf_token(page), "nachricht": "Wir melden uns."}
    )
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Wir melden uns." in page and "wartet auf Versand (kein Mailserver eingerichtet)" in page
    assert "übergeben" not in page.split('id="conversation"', 1)[1].split("</ol>", 1)[0]

    reference = case_url.rsplit("/", 1)[1]
    dovecot.append(_html_mail(f"Nachtrag [Lotse {_reference(deployed, int(reference))}]", "<c2@example.org>"))
    _intake(deployed, dovecot)
    assert ">Neue Nachricht</a>" in client.get("/?tab=groups").get_data(
        as_text=True
    )  # the case step is unclaimed
    assert client.get("/aufgaben/nachricht-2").headers["Location"] == f"{case_url}#nachrichten"
    page = client.get(case_url).get_data(as_text=True)
    client.post(f"{case_url}/nachrichten-gelesen", data={"csrf_token": csrf_token(page)})
    assert ">Neue Nachricht</a>" not in client.get("/?tab=groups").get_data(as_text=True)


def _reference(ctx, case_id: int) -> str:
    from engine.store.tables import Case

    with ctx.unit_of_work(writes=False) as session:
        return session.get(Case, case_id).reference


def test_the_outbox_page_lists_what_waits_to_be_sent_and_why(deployed, client, auth, monkeypatch):
    from engine.cases.lifecycle import open_case
    from engine.kernel.outbox import enqueue
    from engine.store.tables import Case
    from tests.conftest import COUNSELLOR

    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "email"}).case_id
    with deployed.unit_of_work() as session:
        enqueue(
            session, deployed.clock.now(), dedupe_key=f"antwort:{case_id}:9", kind="antwort",
            recipient=f"person:{case_id}", subject="Re", body="Text", case_id=case_id, to="maria@example.org",
        )  # fmt: skip
        session.commit()
    auth.login("ada")
    page = client.get("/verwaltung/postausgang").get_data(as_text=True)
    assert 'id="pending-mail"' in page and "kein Mailserver eingerichtet" in page
    assert "die Person des Falls" in page and "maria@example.org" not in page
    with deployed.unit_of_work(writes=False) as session:
        reference = session.get(Case, case_id).reference
    assert f">{reference}</a>" in page  # the case as staff know it, not its row number
    with deployed.unit_of_work() as session:
        enqueue(
            session, deployed.clock.now(), dedupe_key="digest:x", kind="digest", recipient="group:teamleitung",
            subject="Lotse", body="Text", to="leitung@example.org",
        )  # fmt: skip
        session.commit()
    page = client.get("/verwaltung/postausgang").get_data(as_text=True)
    assert "Gruppe Teamleitung" in page and "group:teamleitung" not in page
