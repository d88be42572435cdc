"""A message's attachments become evidence of its case, through a real Dovecot and HTTP: a case opened from an
intake mail shows the image attachment as an evidence item with its thumbnail, source E-Mail and the intake
as who and when, and the raw mail as .eml; a zip attachment is refused with its reason on the case page;
nothing of the image is in clear in the database. A contact request's screenshot, added to an existing
case, becomes evidence with source Portal."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.channels.mail_intake import take_mail
from engine.channels.portal import submit_contact
from engine.evidence.items import evidence_file
from engine.kernel.settings import ImapSettings
from engine.store.evidence_tables import EvidenceItem
from integrations.imap_mail import ImapMailbox
from tests.conftest import COUNSELLOR
from tests.database_dump import database_bytes, found_in
from tests.evidence_files import screenshot_png
from tests.web.conftest import csrf_token

MARKER = "QXZANHANG"


def _intake(ctx, server) -> None:
    settings = ImapSettings(
        host=server.host, port=server.port, tls=False, user=server.user, password=server.password
    )
    with ImapMailbox(settings, "INBOX") as mailbox:
        take_mail(ctx, mailbox)


def _mail_with(image: bytes, archive: bytes) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = "Bürgermeisterin <bm@example.org>", "info@starkestelle.de"
    message["Subject"], message["Message-ID"] = "Drohung im Anhang", "<e1@example.org>"
    message["Date"] = "Mon, 01 Jun 2026 09:00:00 +0200"
    message.set_content("Siehe Bildschirmfoto.")
    message.add_attachment(image, maintype="image", subtype="png", filename="drohung.png")
    message.add_attachment(archive, maintype="application", subtype="zip", filename="alles.zip")
    return message.as_bytes()


def _zip() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    return out.getvalue()


def _evidence(page: str) -> list[str]:
    return re.findall(
        r'<li data-evidence="\d+">(.*?)</li>', page.split('id="case-evidence"', 1)[1], re.DOTALL
    )


def test_a_case_opened_from_a_mail_holds_its_attachments_as_evidence(deployed, client, auth, dovecot):
    image = screenshot_png(MARKER)
    dovecot.append(_mail_with(image, _zip()))
    _intake(deployed, dovecot)
    auth.login("anna")
    message = client.get("/posteingang/1").get_data(as_text=True)
    case_url = client.post("/posteingang/1/fall", data={"csrf_token": csrf_token(message)}).headers[
        "Location"
    ]
    case_id = int(case_url.rsplit("/", 1)[1])
    page = client.get(case_url).get_data(as_text=True)

    items = _evidence(page)
    assert len(items) == 2
    picture, raw = items
    assert (
        "drohung.png" in picture and "image/png" in picture and hashlib.sha256(image).hexdigest() in picture
    )
    assert f'src="/faelle/{case_id}/beweise/' in picture and "/vorschau" in picture  # the thumbnail
    assert "E-Mail-Eingang" in picture and "<dd data-source>E-Mail</dd>" in picture
    assert "system:" not in page
    assert "nachricht.eml" in raw and "message/rfc822" in raw
    preview = re.search(r'src="(/faelle/\d+/beweise/\d+/vorschau\.png)"', picture).group(1)
    shown = client.get(preview)
    assert (
        shown.status_code == 200 and shown.data.startswith(b"\x89PNG") and MARKER.encode() not in shown.data
    )

    conversation = page.split('id="conversation"', 1)[1].split("</ol>", 1)[0]
    assert "2 Dateien der Nachricht sind als Beweisstücke gespeichert." in conversation
    assert (
        "Nicht als Beweisstück übernommen: alles.zip – Archive (ZIP) werden nicht angenommen." in conversation
    )

    with deployed.unit_of_work(writes=False) as session:
        first = session.scalars(select(EvidenceItem.id).order_by(EvidenceItem.id)).first()
    assert evidence_file(deployed, COUNSELLOR, case_id, first).data == image
    deployed.db.dispose()
    dump = database_bytes(deployed.db.url.render_as_string(hide_password=False))
    assert found_in(dump, [MARKER, "drohung.png"]) == []
    assert image[40:200] not in dump


def test_a_contact_requests_screenshot_added_to_a_case_is_evidence_from_the_portal(deployed, client, auth):
    case = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"})
    shot = screenshot_png()
    submit_contact(
        deployed, "Hier das Bild.", "anonym", "", "ein langer satz", screenshots=[("bild.png", shot)]
    )
    auth.login("anna")
    message = client.get("/posteingang/1").get_data(as_text=True)
    added = client.post(
        "/posteingang/1/zuordnen", data={"csrf_token": csrf_token(message), "aktenzeichen": case.reference}
    )
    assert added.headers["Location"] == f"/faelle/{case.case_id}"
    items = _evidence(client.get(added.headers["Location"]).get_data(as_text=True))
    assert len(items) == 1 and "bildschirmfoto-1.png" in items[0]
    assert "<dd data-source>Portal</dd>" in items[0] and "Kontaktformular" in items[0]


def test_the_persons_reply_found_by_its_case_token_brings_its_files_as_evidence(
    deployed, client, auth, dovecot
):
    case = open_case(deployed, COUNSELLOR, {"kontaktkanal": "email"})
    shot = screenshot_png()
    message = EmailMessage()
    message["From"], message["Subject"] = (
        "Maria <maria@example.org>",
        f"Noch ein Bild [Lotse {case.reference}]",
    )
    message["Message-ID"] = "<r1@example.org>"
    message.set_content("Das kam heute.")
    message.add_attachment(shot, maintype="image", subtype="png", filename="heute.png")
    message.add_attachment(
        b"\x89PNG\r\n\x1a\n" + b"kaputt" * 50, maintype="image", subtype="png", filename="kaputt.png"
    )
    dovecot.append(message.as_bytes())
    _intake(deployed, dovecot)
    auth.login("anna")
    page = client.get(f"/faelle/{case.case_id}").get_data(as_text=True)
    items = _evidence(page)
    assert len(items) == 1 and "heute.png" in items[0] and "<dd data-source>E-Mail</dd>" in items[0]
    assert "nachricht.eml" not in page  # a reply's raw form stays with the message
    conversation = page.split('id="conversation"', 1)[1].split("</ol>", 1)[0]
    assert "1 Datei der Nachricht ist als Beweisstück gespeichert." in conversation
    assert "Nicht als Beweisstück übernommen: kaputt.png – " in conversation
