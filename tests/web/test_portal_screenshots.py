"""Screenshots on /kontakt through HTTP (multipart, no JavaScript): images checked by their content like
evidence, sealed with the intake (nothing in clear in the database), listed when the message is sighted;
anything else refused at the field with nothing typed lost."""

from __future__ import annotations

import hashlib
import io
import json

from sqlalchemy import select, text

from engine.channels.mail_intake import open_document
from engine.store.channel_tables import InboundMessage
from tests.evidence_files import SVG_WITH_SCRIPT, pdf, renamed_executable, screenshot_png
from tests.web.conftest import csrf_token

PASSPHRASE = "mein geheimer satz"


def _submit(client, files):
    data = {"text": "Drohungen auf Instagram, siehe Bilder.", "privacy": "anonym", "passphrase": PASSPHRASE,
            "passphrase2": PASSPHRASE, "screenshots": [(io.BytesIO(d), name) for name, d in files]}  # fmt: skip
    return client.post("/kontakt", data=data, content_type="multipart/form-data")


def test_screenshots_are_checked_sealed_and_attached_to_the_intake(deployed, client, auth):
    page = client.get("/kontakt").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="screenshots" type="file"' in page

    refused = _submit(client, [("bild.png", renamed_executable())])
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "bild.png: Die Datei ist ein Programm" in body and "Drohungen auf Instagram, siehe Bilder." in body
    assert _submit(client, [("bild.svg", SVG_WITH_SCRIPT)]).status_code == 422
    document = _submit(client, [("brief.pdf", pdf())])  # fine as evidence, but not a screenshot
    assert document.status_code == 422 and "brief.pdf: Bitte nur Bilder anhängen" in document.get_data(
        as_text=True
    )
    many = _submit(client, [(f"{n}.png", screenshot_png()) for n in range(4)])
    assert "höchstens drei Bildschirmfotos" in many.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalars(select(InboundMessage)).all() == []  # nothing kept from a refusal

    shot = screenshot_png("Du wirst schon sehen")
    sent = _submit(client, [("Screenshot 2026-03-01.png", shot)])
    assert sent.status_code == 200 and 'id="fallcode"' in sent.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        row = session.scalars(select(InboundMessage)).one()
        dump = b" ".join(
            bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            for value in session.execute(text("SELECT * FROM inbound_messages")).one()
        )
    assert row.attachment_count == 1 and shot not in dump and b"Screenshot" not in dump  # sealed
    document = open_document(deployed, row)
    assert document["attachments"] == [
        {"filename": "bildschirmfoto-1.png", "content_type": "image/png", "size": len(shot),
         "sha256": hashlib.sha256(shot).hexdigest()}
    ]  # fmt: skip
    assert bytes.fromhex(document["attachment_data"][0]) == shot
    assert json.dumps(document)  # what triage reads

    auth.login("anna")
    sighted = client.get(f"/posteingang/{row.id}").get_data(as_text=True)
    assert "bildschirmfoto-1.png (image/png" in sighted
    csrf_token(sighted)
