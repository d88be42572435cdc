"""E-Mail sichten in the task inbox, through a real Dovecot and HTTP: each mail that belongs to no case and
each contact-page message is a task of the intake group ("E-Mail sichten", "Kontaktanfrage sichten"),
counted in the tabs, claimed and released like a step of a case; a colleague cannot act on a claimed one;
opening a case from it ends the task; the message page finds the person's case by the sender's address."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sqlalchemy import update

from engine.channels.mail_intake import take_mail
from engine.channels.portal import submit_contact
from engine.kernel.settings import ImapSettings
from engine.person.intake import IntakeRoutes, open_case_for_person
from engine.store.tables import Staff
from integrations.imap_mail import ImapMailbox
from tests.conftest import COUNSELLOR
from tests.web.conftest import Auth, csrf_token


def _intake(ctx, server) -> None:
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        take_mail(ctx, mailbox)


def _mail(subject: str, message_id: str, sender: str = "Bürgermeister <bm@example.org>") -> bytes:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = sender, subject, message_id
    message.set_content("Ich werde seit Wochen bedroht.")
    return message.as_bytes()


def _rows(page: str) -> dict[str, str]:
    """The inbox's intake rows by message id."""
    return dict(re.findall(r'<tr data-intake="(\d+)" data-step="email_sichten">(.*?)</tr>', page, re.DOTALL))


def _count(page: str, tab: str) -> int:
    return int(re.search(rf'data-count="{tab}">(\d+)<', page).group(1))


def _inbox_token(page: str) -> str:
    return re.search(r'<form id="inbox-actions".*?name="csrf_token" value="([^"]+)"', page, re.DOTALL).group(
        1
    )


def test_unknown_mail_and_contact_requests_are_tasks_of_the_intake_group(deployed, client, auth, dovecot):
    dovecot.append(_mail("Drohung", "<t1@example.org>"), _mail("Hilfe", "<t2@example.org>"))
    _intake(deployed, dovecot)
    submit_contact(deployed, "Man droht mir auf Instagram.", "anonym", "", "ein langer satz")
    auth.login("anna")

    mine = client.get("/").get_data(as_text=True)
    assert _count(mine, "groups") == 3 and _count(mine, "mine") == 0
    groups = client.get("/?tab=groups").get_data(as_text=True)
    rows = _rows(groups)
    assert sorted(rows) == ["1", "2", "3"]
    assert "E-Mail sichten" in rows["1"] and "Kontaktanfrage sichten" in rows["3"]
    assert 'href="/posteingang/1"' in rows["1"] and "Übernehmen" in rows["1"]
    assert "noch kein Fall" in rows["1"] and "Drohung" not in groups  # nothing of the content in the list
    assert "3 Aufgaben" in groups

    claimed = client.post(
        "/posteingang/1/uebernehmen", data={"csrf_token": _inbox_token(groups), "tab": "groups"}
    )
    assert claimed.status_code == 302 and claimed.headers["Location"].startswith("/?tab=groups")
    page = client.get("/?tab=mine").get_data(as_text=True)
    assert "Aufgabe übernommen." in page and list(_rows(page)) == ["1"] and "Freigeben" in _rows(page)["1"]
    assert _count(page, "mine") == 1 and _count(page, "groups") == 2

    other = client.application.test_client()
    Auth(other).login("ben")
    theirs = other.get("/?tab=groups").get_data(as_text=True)
    assert sorted(_rows(theirs)) == ["2", "3"]  # a claimed task leaves the group's list
    message = other.get("/posteingang/1").get_data(as_text=True)
    assert "übernommen von Anna" in message
    queue = other.get("/posteingang").get_data(as_text=True).split('id="posteingang"', 1)[1]
    assert queue.count("<td>Anna</td>") == 1 and queue.count("Gruppe Beratung") == 2
    refused = other.post("/posteingang/1/fall", data={"csrf_token": csrf_token(message)})
    assert refused.status_code == 409 and "Diese Aufgabe hat Anna übernommen." in refused.get_data(
        as_text=True
    )
    grabbed = other.post("/posteingang/1/uebernehmen", data={"csrf_token": csrf_token(message)})
    assert "Diese Aufgabe hat Anna übernommen." in other.get(grabbed.headers["Location"]).get_data(
        as_text=True
    )

    opened = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(page)})
    assert opened.status_code == 302 and opened.headers["Location"].startswith("/faelle/")
    assert _rows(client.get("/?tab=mine").get_data(as_text=True)) == {}
    assert sorted(_rows(client.get("/?tab=groups").get_data(as_text=True))) == ["2", "3"]

    released_page = client.get("/posteingang/2").get_data(as_text=True)
    client.post(
        "/posteingang/2/uebernehmen", data={"csrf_token": csrf_token(released_page), "zurueck": "nachricht"}
    )
    back = client.post(
        "/posteingang/2/freigeben", data={"csrf_token": csrf_token(released_page), "zurueck": "nachricht"}
    )
    assert back.headers["Location"] == "/posteingang/2"
    assert "noch niemandem zugewiesen" in client.get("/posteingang/2").get_data(as_text=True)


def test_a_team_lead_sees_every_intake_task_and_filters_that_exclude_them(deployed, client, auth, dovecot):
    dovecot.append(_mail("Drohung", "<l1@example.org>"))
    _intake(deployed, dovecot)
    auth.login("anna")
    page = client.get("/?tab=groups").get_data(as_text=True)
    client.post("/posteingang/1/uebernehmen", data={"csrf_token": _inbox_token(page)})
    client.get("/logout")
    auth.login("tara")
    everything = client.get("/?tab=all").get_data(as_text=True)
    assert _count(everything, "all") == 1 and "Anna" in _rows(everything)["1"]
    assert "Freigeben" in _rows(everything)["1"]  # a team lead may give it back
    assert _rows(client.get("/?tab=all&risk=HOCH").get_data(as_text=True)) == {}  # no risk level yet
    assert _rows(client.get("/?tab=overdue").get_data(as_text=True)) == {}  # no due date

    with deployed.unit_of_work() as session:  # in English
        session.execute(update(Staff).where(Staff.username == "tara").values(language="en"))
        session.commit()
    row = _rows(client.get("/?tab=all").get_data(as_text=True))["1"]
    assert "Review e-mail" in row and "no case yet" in row and "E-Mail sichten" not in row


def test_the_message_page_finds_the_persons_case_by_the_senders_address(deployed, client, auth, dovecot):
    known = open_case_for_person(
        deployed, COUNSELLOR, {"kontaktkanal": "telefon"}, "vertraulich", IntakeRoutes(email="bm@example.org")
    )
    dovecot.append(_mail("Noch etwas", "<p1@example.org>"))
    _intake(deployed, dovecot)
    auth.login("anna")
    page = client.get("/posteingang/1").get_data(as_text=True)
    found = page.split('id="person-cases"', 1)[1].split("</ul>", 1)[0]
    assert f'data-case="{known.reference}"' in found and "Diesem Fall zuordnen" in found
    nothing = client.get("/posteingang/1?suche=niemand@example.org").get_data(as_text=True)
    assert "Kein Fall zu „niemand@example.org“ gefunden." in nothing
    added = client.post(
        "/posteingang/1/zuordnen", data={"csrf_token": csrf_token(page), "aktenzeichen": known.reference}
    )
    assert added.headers["Location"] == f"/faelle/{known.case_id}"
    assert _rows(client.get("/?tab=groups").get_data(as_text=True)) == {}
