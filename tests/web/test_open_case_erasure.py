"""Art. 17 erasure of an open case through HTTP: after the second team lead confirms, the case's workflow
instance is over: no task of it in any inbox (its agreed callback included), the real timer and appointment
sweeps fire nothing for it (the clock moved on by weeks), nothing about it waits in the outbox, and its
content is gone as in the purge."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import func, select

from engine.cases.appointments import agree_appointment
from engine.channels.mail_intake import Limits, take_mail
from engine.deadlines.appointment_sweep import sweep_appointments
from engine.deadlines.timer_sweep import sweep_timers
from engine.inbox.query import TABS
from engine.kernel.settings import ImapSettings
from engine.staff.accounts import add_staff
from engine.store.channel_tables import InboundMessage
from engine.store.tables import AuditEvent, Case, CasePurge, OutboxMessage, Task
from integrations.imap_mail import ImapMailbox
from tests.conftest import COUNSELLOR
from tests.web.conftest import PASSWORD, Auth, csrf_token


def _mail_case(ctx, client, dovecot) -> int:
    message = EmailMessage()
    message["From"] = "Ortsvorsteherin <ov@example.org>"
    message["Subject"], message["Message-ID"] = "Drohanruf", "<erase1@example.org>"
    message.set_content("Ich werde seit Tagen bedroht und möchte beraten werden.")
    dovecot.append(message.as_bytes())
    settings = ImapSettings(
        host=dovecot.host, port=dovecot.port, tls=False, user=dovecot.user, password=dovecot.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        take_mail(ctx, mailbox, limits=Limits())
    page = client.get("/posteingang/1").get_data(as_text=True)
    opened = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(page)})
    return int(opened.headers["Location"].rsplit("/", 1)[1])


def _open_tasks(ctx, case_id: int) -> list[str]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(Task.id).where(Task.case_id == case_id, Task.status == "open")))


def _every_tab(client) -> str:
    return "".join(client.get(f"/?tab={tab}").get_data(as_text=True) for tab in TABS)


def _pending_outbox(ctx, case_id: int) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.case_id == case_id, OutboxMessage.status == "pending")
        )


def test_erasing_an_open_case_ends_its_instance_everywhere(deployed, app, client, auth, dovecot, monkeypatch):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    add_staff(deployed, "test", "theo", "Theo", PASSWORD, ["teamleitung", "beratung"])
    auth.login("anna")
    case_id = _mail_case(deployed, client, dovecot)
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    client.post(
        f"/faelle/{case_id}/antwort", data={"csrf_token": csrf_token(page), "nachricht": "Wir rufen an."}
    )
    agreed = deployed.clock.now() + timedelta(days=1)
    agree_appointment(deployed, COUNSELLOR, case_id, "rueckruf", "telefon", agreed, "Rückruf vereinbart")
    tasks = _open_tasks(deployed, case_id)
    with deployed.unit_of_work(writes=False) as session:
        case = session.get(Case, case_id)
        assert case.status == "open" and case.next_timer_at is not None, "the case has a timer waiting"
        timer_due = case.next_timer_at
    assert tasks and _pending_outbox(deployed, case_id) == 1
    inboxes = {name: app.test_client() for name in ("anna", "ben", "tara", "theo")}
    for name, inbox in inboxes.items():
        Auth(inbox).login(name)
    assert any(task in _every_tab(inboxes["tara"]) for task in tasks)

    lead = inboxes["tara"]
    page = lead.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert 'id="erasure-open-case"' in page
    lead.post(
        f"/faelle/{case_id}/loeschung", data={"grund": "Anruf der Person", "csrf_token": csrf_token(page)}
    )
    assert _open_tasks(deployed, case_id) == tasks, "nothing ends before the second person confirms"
    second = inboxes["theo"]
    page = second.get(f"/faelle/{case_id}").get_data(as_text=True)
    done = second.post(
        f"/faelle/{case_id}/loeschung/bestaetigen", data={"csrf_token": csrf_token(page), "bestaetigt": "ja"}
    )
    assert done.status_code == 302
    assert "gelöscht" in second.get(done.headers["Location"]).get_data(as_text=True)

    for name, inbox in inboxes.items():
        listed = _every_tab(inbox)
        assert not any(task in listed for task in tasks), f"a task of the erased case in {name}'s inbox"
    assert _open_tasks(deployed, case_id) == [] and _pending_outbox(deployed, case_id) == 0
    deployed.clock.advance(timer_due - deployed.clock.now() + timedelta(days=40))
    assert sweep_timers(deployed).fired == 0
    reminders = sweep_appointments(deployed)
    assert (reminders.reminded, reminders.escalated) == ([], []), "the agreed callback was cancelled"
    with deployed.unit_of_work(writes=False) as session:
        case = session.get(Case, case_id)
        assert (case.status, case.state, case.next_timer_at) == ("closed", b"", None)
        assert session.get(CasePurge, case_id) is not None
        assert session.scalars(
            select(InboundMessage.sealed).where(InboundMessage.case_id == case_id)
        ).all() == [None]
        fired = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.at > timer_due - timedelta(seconds=1))
        )
    assert fired == 0, "nothing happened to the case after the erasure"
