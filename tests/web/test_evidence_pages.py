"""Evidence through HTTP: attach with metadata on the case page, thumbnail, audited download, refusals."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from engine.cases.lifecycle import claim_task, next_task_for, open_case
from engine.store.evidence_tables import EvidenceItem
from engine.store.tables import AuditEvent
from tests import evidence_files as files
from tests.conftest import COUNSELLOR
from tests.pdf_text import pdf_text
from tests.web.conftest import Auth, csrf_token

METADATA = {
    "plattform": "Facebook",
    "url": "https://example.org/beitrag/42",
    "profil": "@drohkonto",
    "veroeffentlicht": "2026-05-30T21:15",
    "gesichert": "2026-06-01T09:40",
    "beschreibung": "Drohung unter dem Beitrag zur Ratssitzung",
}


def _attach(client, case_id: int, data: bytes, name: str, **fields):
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    form = {**METADATA, **fields, "csrf_token": token, "datei": (BytesIO(data), name)}
    return client.post(f"/faelle/{case_id}/beweise", data=form, content_type="multipart/form-data")


def _stored(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(EvidenceItem))


def test_a_screenshot_with_metadata_is_sealed_shown_with_thumbnail_and_downloaded_audited(
    deployed, client, auth
):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    shot = files.screenshot_png()
    attached = _attach(client, case_id, shot, "bildschirmfoto.png")
    assert attached.status_code == 302 and attached.headers["Location"].endswith("#beweise")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    digest = hashlib.sha256(shot).hexdigest()
    for shown in (digest, "Facebook", "https://example.org/beitrag/42", "@drohkonto", "30.05.2026 21:15"):
        assert shown in page
    assert "01.06.2026 09:40" in page and "Drohung unter dem Beitrag" in page and "bildschirmfoto.png" in page

    with deployed.unit_of_work(writes=False) as session:
        row = session.scalars(select(EvidenceItem)).one()
    assert row.media_type == "image/png" and row.size == len(shot)
    for sealed in (row.content, row.preview, row.details):
        assert b"drohkonto" not in sealed and digest.encode() not in sealed and shot not in sealed

    preview = client.get(f"/faelle/{case_id}/beweise/{row.id}/vorschau.png")
    assert preview.headers["Content-Type"] == "image/png"
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(BytesIO(preview.data)) as image:
        assert max(image.size) <= 320

    download = client.get(f"/faelle/{case_id}/beweise/{row.id}/datei")
    assert download.data == shot
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    with deployed.unit_of_work(writes=False) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.case_id == case_id, AuditEvent.action.like("evidence%")
            )
        ).all()
    assert sorted(actions) == ["evidence_added", "evidence_downloaded"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (files.renamed_executable(), "screenshot.png", "ausführbare Datei"),
        (files.zip_bomb_docx(), "protokoll.docx", "Zip-Bombe"),
        (files.SVG_WITH_SCRIPT, "logo.svg", "Skripte enthalten"),
        (files.PDF_WITH_JAVASCRIPT, "anzeige.pdf", "aktive Inhalte"),
    ],
    ids=["renamed-exe", "zip-bomb", "svg-script", "pdf-js"],
)
def test_a_dangerous_upload_is_refused_at_the_field_with_the_metadata_kept_and_nothing_stored(
    deployed, client, auth, data, name, message
):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    refused = _attach(client, case_id, data, name)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert message in page and 'aria-invalid="true"' in page and 'value="@drohkonto"' in page
    assert _stored(deployed) == 0


def test_an_oversized_upload_is_refused_with_a_clear_message(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    refused = _attach(client, case_id, b"a" * (12 * 1024 * 1024), "gross.txt")
    assert refused.status_code == 413 and "zu groß" in refused.get_data(as_text=True)
    assert _stored(deployed) == 0


def test_a_bad_url_is_refused_at_the_field_in_english_too(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/sprache", data={"language": "en", "csrf_token": token})
    refused = _attach(client, case_id, files.screenshot_png(), "a.png", url="javascript:alert(1)")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "must start with http:// or https://" in page and 'id="beweis-url-error"' in page
    assert _stored(deployed) == 0


def test_a_colleague_outside_the_need_to_know_cannot_download(deployed, app, client, auth):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    claim_task(deployed, COUNSELLOR, next_task_for(deployed, COUNSELLOR, case_id))  # now hers alone
    auth.login("anna")
    assert _attach(client, case_id, files.screenshot_png(), "a.png").status_code == 302
    with deployed.unit_of_work(writes=False) as session:
        item_id = session.scalar(select(EvidenceItem.id))
    other = app.test_client()
    Auth(other).login("ben")
    assert other.get(f"/faelle/{case_id}/beweise/{item_id}/datei").status_code in (403, 404)
    assert other.get(f"/faelle/{case_id}/beweise/{item_id}/vorschau.png").status_code in (403, 404)


def test_the_dossier_pdf_names_each_file_hash_and_the_strafantrag_dates_and_is_audited(
    deployed, client, auth
):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    shot = files.screenshot_png()
    assert _attach(client, case_id, shot, "bildschirmfoto.png").status_code == 302
    assert _attach(client, case_id, files.pdf(), "anzeige.pdf", profil="Ümläut-Konto ✓").status_code == 302
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    offence = {
        "delikt": "beleidigung",
        "kenntnis_tat": "2026-05-30",
        "taeter_unbekannt": "1",
        "csrf_token": token,
    }
    assert client.post(f"/faelle/{case_id}/strafantrag", data=offence).status_code == 302
    made = client.get(f"/faelle/{case_id}/beweisdossier.pdf")
    assert made.status_code == 200 and made.data.startswith(b"%PDF")
    assert made.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(made.data)
    assert hashlib.sha256(shot).hexdigest() in text.replace("\n", "")
    assert hashlib.sha256(files.pdf()).hexdigest() in text.replace("\n", "")
    assert "@drohkonto" in text and "Ümläut-Konto" in text and "30.05.2026" in text
    with deployed.unit_of_work(writes=False) as session:
        assert (
            session.scalar(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "dossier_generated", AuditEvent.case_id == case_id
                )
            )
            == "2 items"
        )
