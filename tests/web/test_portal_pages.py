"""The public contact page and the anonymous mailbox through HTTP: no cookie before submit, a case code
shown once, the counsellor's answer read with code and passphrase, a reply back onto the case, wrong codes
refused alike and rate-limited, the honeypot, and nothing in clear in the database."""

from __future__ import annotations

import re

from sqlalchemy import select, text

from engine.channels.replies import send_reply
from engine.channels.triage import open_case_from_message, triage_queue
from engine.store.tables import Task
from tests.conftest import COUNSELLOR

PASSPHRASE = "mein geheimer satz"


def _submit(client, **fields):
    data = {"text": "Ich werde im Netz bedroht.", "privacy": "anonym", "passphrase": PASSPHRASE,
            "passphrase2": PASSPHRASE, **fields}  # fmt: skip
    return client.post("/kontakt", data=data)


def _code(page: str) -> str:
    return re.search(r'id="fallcode"><strong>([A-Z0-9-]+)<', page).group(1)


def test_write_anonymously_read_the_answer_and_write_back(deployed, client):
    first = client.get("/kontakt")
    assert first.status_code == 200 and "Set-Cookie" not in first.headers  # no cookie before submit
    sent = _submit(client)
    assert sent.status_code == 200 and "Set-Cookie" not in sent.headers
    code = _code(sent.get_data(as_text=True))
    assert len(code.replace("-", "")) == 32

    [entry] = triage_queue(deployed, COUNSELLOR)
    case = open_case_from_message(deployed, COUNSELLOR, entry.id)
    send_reply(deployed, COUNSELLOR, case.case_id, "Wir sind für Sie da. Rufen Sie uns an?")

    wrong = client.post("/kontakt/postfach", data={"code": code, "passphrase": "falsch falsch"})
    assert wrong.status_code == 422 and "Fallcode oder Passphrase stimmen nicht." in wrong.get_data(
        as_text=True
    )
    other = client.post("/kontakt/postfach", data={"code": "AAAA" + code[4:], "passphrase": PASSPHRASE})
    assert other.get_data(as_text=True).count("Fallcode oder Passphrase stimmen nicht.") == 1
    opened = client.post("/kontakt/postfach", data={"code": code, "passphrase": PASSPHRASE})
    page = opened.get_data(as_text=True)
    assert "Wir sind für Sie da." in page and "Ich werde im Netz bedroht." in page

    back = client.post(
        "/kontakt/postfach", data={"code": code, "passphrase": PASSPHRASE, "text": "Ja, gern morgen."}
    )
    assert "Ja, gern morgen." in back.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        titles = session.scalars(
            select(Task.title).where(Task.case_id == case.case_id, Task.status == "open")
        ).all()
        dump = " ".join(
            str(row)
            for table in ("inbound_messages", "portal_mailboxes", "sent_replies")
            for row in session.execute(text(f"SELECT * FROM {table}")).all()
        )
    assert "Neue Nachricht" in titles
    for secret in (code.replace("-", "")[8:], PASSPHRASE, "bedroht", "Wir sind", "gern morgen"):
        assert secret not in dump


def test_refusals_are_friendly_and_the_honeypot_takes_nothing(deployed, client):
    short = _submit(client, passphrase="kurz", passphrase2="kurz")
    assert short.status_code == 422 and 'id="passphrase-error"' in short.get_data(as_text=True)
    assert "Ich werde im Netz bedroht." in short.get_data(as_text=True)  # what was typed stays
    mismatch = _submit(client, passphrase2="etwas anderes")
    assert mismatch.status_code == 422 and "stimmen nicht überein" in mismatch.get_data(as_text=True)
    bot = _submit(client, website="http://spam.example")
    assert bot.status_code == 200 and 'id="fallcode"' not in bot.get_data(as_text=True)
    assert triage_queue(deployed, COUNSELLOR) == []


def test_guessing_codes_is_rate_limited(deployed, client):
    answers = [
        client.post("/kontakt/postfach", data={"code": "ABCD-EFGH", "passphrase": "x" * 10}).status_code
        for _ in range(6)
    ]
    assert answers == [422] * 5 + [429]


def test_after_erasure_the_mailbox_opens_nothing_like_a_wrong_code(deployed, client):
    from engine.cases.erasure import confirm_erasure, request_erasure
    from engine.kernel.actor import Actor

    code = _code(_submit(client).get_data(as_text=True))
    [entry] = triage_queue(deployed, COUNSELLOR)
    case = open_case_from_message(deployed, COUNSELLOR, entry.id)
    send_reply(deployed, COUNSELLOR, case.case_id, "Wir sind für Sie da.")
    leads = [Actor(name, frozenset({"teamleitung", "beratung"})) for name in ("tara", "theo")]
    request_erasure(deployed, leads[0], case.case_id, "Die Person bittet um Löschung.")
    confirm_erasure(deployed, leads[1], case.case_id)

    for passphrase in (PASSPHRASE, "falsch falsch"):
        answer = client.post("/kontakt/postfach", data={"code": code, "passphrase": passphrase})
        assert answer.status_code == 422 and "Fallcode oder Passphrase stimmen nicht." in answer.get_data(
            as_text=True
        )
