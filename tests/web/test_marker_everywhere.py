"""No case content in clear anywhere (issue 19): a case built through every path that takes text, a
distinctive marker in every free-text field, contact route, attachment and message, and then the raw SQLite
file (with its write-ahead log) or a pg_dump, and every log record written meanwhile (DEBUG), searched for
the marker in each form it could take: 0 hits.

Paths: an e-mail through the real IMAP intake (subject, body in quoted-printable with umlauts, sender,
attachment name and content), the public contact form and the anonymous mailbox (both ways), notes, the
person's particulars, contact routes and contacts log, the shipped model's task forms (intake, assessment
with a deviating level, referral with a warm handover, new incident, follow-up, escalation and closing
notes), a partner portal's signed intake request, appointments, evidence with metadata (uploaded on the
case page and attached by the engine) and the dossier sent to the police, a reply by e-mail delivered
through a real SMTP server that refuses the person's address, legal hold, break-glass access, an erasure
request, a Strafantrag, and a model whose script fails on the typed text. The Prefect round is in
tests/integration/test_marker_prefect.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from engine.cases.appointments import agree_appointment
from engine.cases.break_glass import break_glass
from engine.cases.discard import discard_case
from engine.cases.erasure import request_erasure
from engine.cases.incidents import report_incident
from engine.cases.lifecycle import complete_task, open_case
from engine.cases.retention import set_legal_hold
from engine.cases.step_failures import StepFailed
from engine.channels.mail_intake import Limits, take_mail
from engine.channels.replies import send_reply
from engine.deadlines.timer_sweep import sweep_timers
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.directory.csv_exchange import load_seed
from engine.directory.search import search_offers
from engine.evidence.dossier_handover import send_dossier
from engine.evidence.items import EvidenceDetails, attach_evidence
from engine.kernel.actor import Actor
from engine.kernel.outbox import deliver_outbox
from engine.kernel.settings import ImapSettings, SmtpSettings
from engine.person.contact_routes import add_route
from engine.person.contacts_log import NewContact, log_contact
from engine.person.privacy import Particulars, change_mode, save_person
from engine.processes.deployment import deploy_process
from engine.referrals.consent import Choice
from engine.referrals.consent_records import record_consent
from engine.referrals.steps import referral_step
from engine.store.tables import OutboxMessage, Task
from engine.strafantrag.periods import record_offence
from integrations.imap_mail import ImapMailbox
from integrations.smtp_mail import SmtpMailSender
from tests import evidence_files as files
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.database_dump import database_bytes
from tests.marker_search import ADDRESS, MARKER, PHONE, UMLAUT_MARKER, forms, hits, mail_with_marker
from tests.smtp_server import SmtpServer
from tests.steps import complete, open_tasks, task_id_for
from tests.web.conftest import Auth, csrf_token, submit_task

MAIL_SERVER_LOG = "mail.log"  # the test's SMTP server (aiosmtpd) logs its conversations: not Lotse's log
SECOND_LEAD = Actor("theo", frozenset({"teamleitung", "beratung"}))


def _intake(ctx, dovecot) -> None:
    settings = ImapSettings(
        host=dovecot.host, port=dovecot.port, tls=False, user=dovecot.user, password=dovecot.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        take_mail(ctx, mailbox, limits=Limits())


def _offer(ctx, key: str) -> int:
    return next(offer.id for offer in search_offers(ctx, text=key) if offer.key == key)


def _mail_case(ctx, client, dovecot) -> int:
    """The e-mail through the real intake, a case opened from it on the page, then every other path."""
    dovecot.append(mail_with_marker())
    _intake(ctx, dovecot)
    page = client.get("/posteingang/1").get_data(as_text=True)
    assert MARKER in page, "the mail was taken and can be read"
    opened = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(page)})
    case_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    client.post(
        f"/faelle/{case_id}/notizen", data={"csrf_token": csrf_token(page), "text": f"Notiz {MARKER}"}
    )
    client.post(
        f"/faelle/{case_id}/antwort", data={"csrf_token": csrf_token(page), "nachricht": f"Antwort {MARKER}"}
    )
    upload = {
        "csrf_token": csrf_token(page),
        "datei": (BytesIO(f"Screenshot-Text {MARKER}".encode()), f"{MARKER}-beweis.txt"),
        "plattform": f"Plattform {MARKER}",
        "url": f"https://example.org/post/{MARKER}",
        "profil": f"@{MARKER}_profil",
        "beschreibung": f"Hochgeladen {MARKER}",
    }
    attached = client.post(f"/faelle/{case_id}/beweise", data=upload, content_type="multipart/form-data")
    assert attached.status_code == 302, attached.get_data(as_text=True)[:500]
    return case_id


def _person(ctx, case_id: int) -> None:
    change_mode(ctx, COUNSELLOR, case_id, "vertraulich")
    add_route(ctx, COUNSELLOR, case_id, "telefon", PHONE)
    add_route(ctx, COUNSELLOR, case_id, "email", ADDRESS)
    particulars = Particulars(name=f"Name {MARKER}")
    save_person(ctx, COUNSELLOR, case_id, "selbst", None, particulars)
    contact = NewContact("anruf", "eingehend", at=ctx.clock.now(), summary=f"Gespräch {MARKER}")
    log_contact(ctx, COUNSELLOR, case_id, contact)


def _steps(ctx, case_id: int) -> None:
    """The shipped model's forms, each free-text field with the marker."""
    complete(ctx, COUNSELLOR, case_id, "eingang", {**EINGANG, "kurzbeschreibung": f"Kurz {MARKER}"})
    complete(ctx, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["MITTEL"]})
    complete(
        ctx,
        COUNSELLOR,
        case_id,
        "risikostufe_bestaetigen",
        {"risikostufe": "HOCH", "abweichung_begruendung": f"Abweichung {MARKER}"},
    )
    choices = [
        Choice(
            _offer(ctx, "hateaid"), "handover", consent=True, facts=("kontakt",), contact=f"Rückruf {MARKER}"
        )
    ]
    complete_task(
        ctx,
        COUNSELLOR,
        task_id_for(ctx, case_id, "vermittlung"),
        {"vermittlung_notiz": f"Vermittlung {MARKER}", "vermittlungsziele": ["opferberatung"]},
        alongside=referral_step(choices, {}, COUNSELLOR, ctx.calendar),
    )
    report_incident(ctx, COUNSELLOR, case_id)
    complete(
        ctx,
        COUNSELLOR,
        case_id,
        "vorfall_erfassen",
        {**RISIKO_NEUTRAL, "vorfall_beschreibung": f"Vorfall {MARKER}", "abweichung_begruendung": ""},
    )
    if "vorfall_risikostufe_bestaetigen" in open_tasks(ctx, case_id):
        complete(
            ctx,
            COUNSELLOR,
            case_id,
            "vorfall_risikostufe_bestaetigen",
            {"risikostufe": "HOCH", "abweichung_begruendung": f"Neue Stufe {MARKER}"},
        )


def _escalations(ctx, case_id: int) -> None:
    """Weeks on: the timers fire; every escalation and follow-up task gets a note with the marker."""
    for _ in range(6):
        ctx.clock.advance(timedelta(days=7))
        sweep_timers(ctx)
        for element_id in open_tasks(ctx, case_id):
            if element_id.startswith("eskalation_"):
                values = {
                    f"{element_id}_massnahme": "verzoegerung_vertretbar",
                    f"{element_id}_notiz": f"Eskalation {MARKER}",
                }
                complete(ctx, TEAM_LEAD, case_id, element_id, values)
            elif element_id.startswith("strafantrag_erinnerung"):
                values = {"strafantrag_stand": "noch_nicht", "strafantrag_notiz": f"Strafantrag {MARKER}"}
                complete(ctx, COUNSELLOR, case_id, element_id, values)
            elif element_id == "nachfassen":
                values = {"hilfe_angekommen": "ja", "nachfassen_notiz": f"Nachfassen {MARKER}"}
                complete(ctx, COUNSELLOR, case_id, element_id, values)
    values = {"abschlussgrund": "hilfe_vermittelt", "abschluss_notiz": f"Abschluss {MARKER}"}
    complete(ctx, COUNSELLOR, case_id, "abschluss", values)


def _around(ctx, case_id: int) -> None:
    later = ctx.clock.now() + timedelta(days=2)
    agree_appointment(ctx, COUNSELLOR, case_id, "rueckruf", "telefon", later, f"Termin {MARKER}")
    details = EvidenceDetails(
        platform=f"Plattform {MARKER}",
        url=f"https://example.org/{MARKER}",
        profile=f"@{MARKER}",
        description=f"Beschreibung {MARKER}",
    )
    attach_evidence(
        ctx, COUNSELLOR, case_id, f"{MARKER}.png", files.screenshot_png(text_chunk=MARKER), details
    )
    record_consent(ctx, COUNSELLOR, case_id, "dossier", "polizei", "telefon")
    send_dossier(ctx, COUNSELLOR, case_id, "polizei", "poststelle@polizei.example")
    record_offence(ctx, COUNSELLOR, case_id, "beleidigung", datetime(2026, 5, 20).date(), None)
    break_glass(ctx, SECOND_LEAD, case_id, f"Notfall {MARKER}")
    set_legal_hold(ctx, TEAM_LEAD, case_id, True, reason=f"Verfahren {MARKER}")
    set_legal_hold(ctx, TEAM_LEAD, case_id, False, reason=f"Verfahren beendet {MARKER}")
    request_erasure(ctx, TEAM_LEAD, case_id, f"Löschanfrage {MARKER}")


def _portal(ctx, client) -> None:
    """The public contact form and the anonymous mailbox, both ways."""
    passphrase = "ein langer geheimer satz"
    sent = client.post(
        "/kontakt",
        data={
            "text": f"Portal {MARKER}",
            "privacy": "anonym",
            "passphrase": passphrase,
            "passphrase2": passphrase,
        },
    )
    code = re.search(r'id="fallcode"><strong>([A-Z0-9-]+)<', sent.get_data(as_text=True)).group(1)
    page = client.get("/posteingang/2").get_data(as_text=True)
    opened = client.post("/posteingang/2/fall", data={"csrf_token": csrf_token(page)})
    portal_case = int(opened.headers["Location"].rsplit("/", 1)[1])
    send_reply(ctx, COUNSELLOR, portal_case, f"Postfach {MARKER}")
    back = client.post(
        "/kontakt/postfach", data={"code": code, "passphrase": passphrase, "text": f"Zurück {MARKER}"}
    )
    assert f"Zurück {MARKER}" in back.get_data(as_text=True)


def _intake_api(ctx, client, monkeypatch) -> None:
    """A signed request from a partner portal (``/api/intake``), with the marker in its text and contact."""
    secret = "portal-geheimnis-qxz"
    monkeypatch.setenv("LOTSE_PORTAL_SECRETS", f"stark-im-amt:{secret}")
    payload = {
        "request_id": "p-1",
        "text": f"Über das Portal {MARKER}",
        "privacy": "vertraulich",
        "contact": f"Telefon {PHONE}, {MARKER}",
    }
    body = json.dumps(payload).encode()
    timestamp = str(int(ctx.clock.now().timestamp()))
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "X-Lotse-Portal": "stark-im-amt",
        "X-Lotse-Timestamp": timestamp,
        "X-Lotse-Signature": signature,
    }
    answer = client.post("/api/intake", data=body, content_type="application/json", headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)


FAILING_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="fehlerhaft" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="erfassen" name="Erfassen" camunda:candidateGroups="beratung">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="notiz" label="Notiz" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:scriptTask id="rechnen" name="Rechnen" scriptFormat="python">
      <bpmn:script>zahl = int(notiz)</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="erfassen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="erfassen" targetRef="rechnen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="rechnen" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _model_error(ctx) -> None:
    """A model whose script fails on the typed text (the error message quotes it): the step failure
    records and logs only the error's class, never the value."""
    deploy_process(ctx, "test", FAILING_MODEL)
    case_id = open_case(ctx, COUNSELLOR, process_key="fehlerhaft").case_id
    with pytest.raises(StepFailed):
        complete_task(ctx, COUNSELLOR, task_id_for(ctx, case_id, "erfassen"), {"notiz": f"Zahl {MARKER}"})


def _other_paths(ctx, app, client) -> None:
    """The new-case form (vertraulich, with contact routes) and an AKUT case's forms through HTTP; the
    prevention path, a downgrade confirmed by a second counsellor and a case discarded with a reason."""
    page = client.get("/faelle/neu").get_data(as_text=True)
    started = client.post(
        "/faelle/neu",
        data={
            "csrf_token": csrf_token(page),
            "kontaktkanal": "telefon",
            "modus": "vertraulich",
            "telefon": "0171 4433221",
            "email": f"zweite.{ADDRESS}",
        },
    )
    task_url = started.headers["Location"]
    assert "/aufgaben/" in task_url
    with ctx.unit_of_work(writes=False) as session:
        akut = session.scalar(select(Task.case_id).where(Task.id == task_url.rsplit("/", 1)[1]))
    forms_in_order = [
        ("eingang", {**EINGANG, "kurzbeschreibung": f"Formular {MARKER}"}),
        ("risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["AKUT"]}),
        ("risikostufe_bestaetigen", {"risikostufe": "AKUT"}),
        (
            "akut_notruf",
            {"notruf_empfohlen": True, "notruf_hinweis_zeit": "2026-06-01", "akut_notiz": f"Akut {MARKER}"},
        ),
    ]
    for element_id, values in forms_in_order:
        answered = submit_task(client, task_id_for(ctx, akut, element_id), values)
        assert answered.status_code == 302, f"{element_id}: {answered.get_data(as_text=True)[:300]}"
    lead = app.test_client()
    Auth(lead).login("tara")
    values = {"kenntnisnahme": True, "teamleitung_notiz": f"Teamleitung {MARKER}"}
    assert submit_task(lead, task_id_for(ctx, akut, "teamleitung_informieren"), values).status_code == 302

    prevention = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    info = {**EINGANG, "betroffen": "nicht_betroffen", "vorfallarten": ["kein_vorfall"]}
    complete(ctx, COUNSELLOR, prevention, "eingang", info)
    material = {"material": ["broschuere_sicherheit"], "notiz": f"Material {MARKER}"}
    complete(ctx, COUNSELLOR, prevention, "praevention", material)

    lowered = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(ctx, COUNSELLOR, lowered, "eingang", EINGANG)
    complete(ctx, COUNSELLOR, lowered, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["MITTEL"]})
    lower = {"risikostufe": "NIEDRIG", "abweichung_begruendung": f"Niedriger {MARKER}"}
    complete(ctx, COUNSELLOR, lowered, "risikostufe_bestaetigen", lower)
    second = Actor("ben", frozenset({"beratung"}))
    confirm = {"herabstufung_entscheidung": "bestaetigt", "herabstufung_anmerkung": f"Vier Augen {MARKER}"}
    complete(ctx, second, lowered, "herabstufung_bestaetigen", confirm)

    mistaken = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    discard_case(ctx, COUNSELLOR, mistaken, f"Versehen {MARKER}")


def test_no_marker_in_the_database_or_the_logs(deployed, app, client, auth, dovecot, caplog, monkeypatch):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    caplog.set_level(logging.DEBUG)
    ctx = deployed
    load_seed(ctx)
    auth.login("anna")
    case_id = _mail_case(ctx, client, dovecot)
    _person(ctx, case_id)
    _steps(ctx, case_id)
    _around(ctx, case_id)
    _portal(ctx, client)
    _other_paths(ctx, app, client)
    _intake_api(ctx, client, monkeypatch)
    _model_error(ctx)
    _escalations(ctx, case_id)
    with SmtpServer(refuse=frozenset({ADDRESS})) as server:
        sender = SmtpMailSender(SmtpSettings(host="127.0.0.1", port=server.port, starttls=False, timeout=5))
        report = deliver_outbox(ctx, sender, ctx.clock.now() + timedelta(days=60))
    assert report.dead, "the reply to the person's address was refused by the server"
    assert any(MARKER in str(message) for message in server.inbox.messages), "the handover was sent"
    with ctx.unit_of_work(writes=False) as session:
        errors = session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.status == "dead")).all()
    assert any("550" in (error or "") for error in errors)

    ctx.db.dispose()  # SQLite: everything written is in the file and its log
    dump = database_bytes(ctx.db.url.render_as_string(hide_password=False))
    assert b"poststelle@polizei.example" in dump, "the dump is read (the recipient is in clear)"
    needles = forms(MARKER, UMLAUT_MARKER, ADDRESS, PHONE, PHONE.replace(" ", ""))
    assert hits(dump, needles) == []
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith(MAIL_SERVER_LOG)
    ).encode()
    assert caplog.records, "the log was captured"
    assert hits(logged, needles) == []
