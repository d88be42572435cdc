"""Art. 15 export through HTTP: a team lead gets a ZIP with every item of the case and nothing of another."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from io import BytesIO

from sqlalchemy import func, select

from engine.cases.discard import discard_case
from engine.cases.lifecycle import open_case
from engine.cases.notes import add_note
from engine.evidence.items import EvidenceDetails, attach_evidence
from engine.person.contact_routes import add_route
from engine.person.contacts_log import NewContact, log_contact
from engine.person.privacy import Particulars, change_mode, save_person
from engine.referrals.consent_records import record_consent
from engine.staff.accounts import add_staff
from engine.store.tables import AuditEvent, CaseNote
from tests import evidence_files as files
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.web.conftest import PASSWORD, Auth, csrf_token


def _case_with_everything(ctx, marker: str, phone: str) -> tuple[int, bytes]:
    case_id = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    add_note(ctx, COUNSELLOR, case_id, f"Notiz {marker}")
    change_mode(ctx, COUNSELLOR, case_id, "vertraulich")
    add_route(ctx, COUNSELLOR, case_id, "telefon", phone)
    save_person(ctx, COUNSELLOR, case_id, "selbst", None, Particulars(name=f"Name {marker}"))
    when = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    log_contact(
        ctx, COUNSELLOR, case_id, NewContact("anruf", "eingehend", at=when, summary=f"Anruf {marker}")
    )
    shot = files.screenshot_png(text_chunk=marker)
    details = EvidenceDetails(profile=f"Profil {marker}", description=f"Beschreibung {marker}")
    attach_evidence(ctx, COUNSELLOR, case_id, f"{marker}.png", shot, details)
    record_consent(ctx, COUNSELLOR, case_id, "dossier", "hateaid", "telefon")
    return case_id, shot


def test_the_export_holds_every_item_of_the_case_and_nothing_of_another(deployed, app, client, auth):
    mine, shot = _case_with_everything(deployed, "MARKE-EINS", "0171 1111111")
    _other, _ = _case_with_everything(deployed, "MARKE-ZWEI", "0171 2222222")
    auth.login("anna")
    token = csrf_token(client.get(f"/faelle/{mine}").get_data(as_text=True))
    assert client.post(f"/faelle/{mine}/auskunft", data={"csrf_token": token}).status_code == 403
    lead = app.test_client()
    Auth(lead).login("tara")
    token = csrf_token(lead.get(f"/faelle/{mine}").get_data(as_text=True))
    made = lead.post(f"/faelle/{mine}/auskunft", data={"csrf_token": token})
    assert made.status_code == 200 and made.headers["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(BytesIO(made.data)) as archive:
        names = archive.namelist()
        record = archive.read("fall.json").decode()
        summary = archive.read("uebersicht.html").decode()
        evidence = [name for name in names if name.startswith("beweise/")]
        assert len(evidence) == 1 and archive.read(evidence[0]) == shot
        everything = b"".join(archive.read(name) for name in names)
    for expected in (
        "Notiz MARKE-EINS",
        "Name MARKE-EINS",
        "Anruf MARKE-EINS",
        "Profil MARKE-EINS",
        "hateaid",
    ):
        assert expected in record and expected in summary
    assert "+491711111111" in record or "0171 1111111" in record
    assert b"MARKE-ZWEI" not in everything and b"2222222" not in everything
    parsed = json.loads(record)
    assert {"case_viewed", "evidence_added", "consent_recorded"} <= {row["action"] for row in parsed["audit"]}
    assert "<script" not in summary
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "exported")) == "tara"


def test_erasure_through_the_case_page_needs_a_second_team_lead(deployed, app, client, auth):
    add_staff(deployed, "test", "theo", "Theo", PASSWORD, ["teamleitung", "beratung"])
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    add_note(deployed, COUNSELLOR, case_id, "Notiz vor der Löschung")
    discard_case(deployed, TEAM_LEAD, case_id, "versehentlich angelegt")
    auth.login("tara")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    asked = client.post(
        f"/faelle/{case_id}/loeschung", data={"grund": "Anfrage per Brief", "csrf_token": csrf_token(page)}
    )
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="pending-erasure"' in page and "Anfrage per Brief" in page and "zweite Teamleitung" in page
    client.post(f"/faelle/{case_id}/loeschung/bestaetigen", data={"csrf_token": csrf_token(page)})
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).select_from(CaseNote)) == 1, "the requester cannot confirm"
    second = app.test_client()
    Auth(second).login("theo")
    page = second.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Löschung bestätigen" in page and 'name="bestaetigt" value="ja" required' in page
    unticked = second.post(f"/faelle/{case_id}/loeschung/bestaetigen", data={"csrf_token": csrf_token(page)})
    assert "es wurde nichts gelöscht" in second.get(unticked.headers["Location"]).get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).select_from(CaseNote)) == 1, "not without the tick"
    second.post(
        f"/faelle/{case_id}/loeschung/bestaetigen", data={"csrf_token": csrf_token(page), "bestaetigt": "ja"}
    )
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(func.count()).select_from(CaseNote)) == 0
