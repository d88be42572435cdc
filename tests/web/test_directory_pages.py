"""The directory pages over HTTP: search for counsellors; edit, retire, re-verify, export and import for
team leads; bad input gives clear messages and changes nothing."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from engine.directory.csv_exchange import csv_text, export_csv, load_seed
from engine.directory.search import search_offers
from engine.store.referral_tables import SupportOffer, SupportOfferChange
from tests.web.conftest import csrf_token

VALID = {
    "key": "neue_stelle",
    "name": "Neue Beratungsstelle",
    "organisation": "Verein Beispiel",
    "lands": ["SN", "TH"],
    "category": "opferberatung",
    "incident_types": ["bedrohung", "koerperverletzung"],
    "needs": ["begleitung"],
    "email": "kontakt@example.org",
    "confidence": "M",
    "warm_handover": "ja",
}


def _token(client, path: str = "/verzeichnis") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def _count(ctx, model) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_counsellors_search_but_do_not_edit(deployed, client, auth):
    load_seed(deployed)
    auth.login("anna")
    page = client.get("/verzeichnis?q=zastex").get_data(as_text=True)
    assert "ZASTEX" in page and "0351 855-2223" in page and "HateAid" not in page
    page = client.get("/verzeichnis?land=BE&kategorie=polizei").get_data(as_text=True)
    assert "LKA Berlin" in page and "nur intern" in page and "ZASTEX" not in page
    assert client.get("/verzeichnis/neu").status_code == 403
    assert client.get("/verzeichnis/export.csv").status_code == 403
    offer_id = search_offers(deployed, text="zastex")[0].id
    detail = client.get(f"/verzeichnis/{offer_id}").get_data(as_text=True)
    assert "Landeskriminalamt" in detail or "LKA Sachsen" in detail
    assert "Bearbeiten" not in detail


def test_team_lead_creates_and_edits_with_history(deployed, client, auth, clock):
    auth.login("tara")
    token = _token(client, "/verzeichnis/neu")
    bad = client.post(
        "/verzeichnis/neu", data={**VALID, "email": "kaputt", "category": "", "csrf_token": token}
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "E-Mail-Adresse ist ungültig." in page and "Kategorie fehlt" in page
    assert 'value="Neue Beratungsstelle"' in page  # what was typed is kept
    assert _count(deployed, SupportOffer) == 0
    created = client.post("/verzeichnis/neu", data={**VALID, "csrf_token": token})
    assert created.status_code == 302
    offer_id = search_offers(deployed, text="neue_stelle")[0].id
    edit_page = client.get(f"/verzeichnis/{offer_id}/bearbeiten").get_data(as_text=True)
    assert 'name="version" value="1"' in edit_page
    changed = client.post(
        f"/verzeichnis/{offer_id}/bearbeiten",
        data={**VALID, "phone": "0351 000", "version": "1", "csrf_token": token},
    )
    assert changed.status_code == 302
    stale = client.post(
        f"/verzeichnis/{offer_id}/bearbeiten",
        data={**VALID, "phone": "0351 111", "version": "1", "csrf_token": token},
    )
    assert stale.status_code == 409 and "inzwischen von tara" in stale.get_data(as_text=True)
    detail = client.get(f"/verzeichnis/{offer_id}").get_data(as_text=True)
    assert "0351 000" in detail and "0351 111" not in detail
    assert "Telefon:" in detail and "geändert" in detail and "angelegt" in detail
    assert "phone" not in detail.split('id="history"')[1]  # field labels, not keys


def test_retire_and_reverify(deployed, client, auth):
    load_seed(deployed)
    auth.login("tara")
    token = _token(client)
    zastex = search_offers(deployed, text="zastex")[0]
    todo = client.get("/verzeichnis/pruefen").get_data(as_text=True)
    assert "ZASTEX" in todo and "nie geprüft" in todo
    client.post(f"/verzeichnis/{zastex.id}/geprueft", data={"csrf_token": token, "next": "pruefen"})
    assert "ZASTEX" not in client.get("/verzeichnis/pruefen").get_data(as_text=True)
    client.post(f"/verzeichnis/{zastex.id}/zurueckziehen", data={"csrf_token": token})
    assert "ZASTEX" not in client.get("/verzeichnis?q=zastex").get_data(as_text=True)
    assert "ZASTEX" in client.get("/verzeichnis?q=zastex&zurueckgezogen=ja").get_data(as_text=True)


def test_export_and_import_with_preview(deployed, client, auth):
    load_seed(deployed)
    auth.login("tara")
    token = _token(client)
    exported = client.get("/verzeichnis/export.csv")
    assert exported.mimetype == "text/csv" and exported.get_data(as_text=True).startswith("key,name,")
    text = exported.get_data(as_text=True).replace("0211 871-3131", "0211 871-0000")
    preview = client.post(
        "/verzeichnis/import",
        data={"csrf_token": token, "datei": (io.BytesIO(text.encode()), "verzeichnis.csv")},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "0211 871-3131 → 0211 871-0000" in page
    assert "0 neu, 1 geändert" in page
    assert "0211 871-0000" not in export_csv(deployed)  # the preview changed nothing
    done = client.post("/verzeichnis/import", data={"csrf_token": token, "confirm": "ja", "text": text})
    assert done.status_code == 302
    assert "0211 871-0000" in export_csv(deployed)


def test_malformed_csv_gives_per_row_errors_and_imports_nothing(deployed, client, auth):
    load_seed(deployed)
    auth.login("tara")
    token = _token(client)
    before = export_csv(deployed)
    changes_before = _count(deployed, SupportOfferChange)
    rows = [
        {
            "key": "gut",
            "name": "Gut",
            "organisation": "T",
            "lands": "NW",
            "category": "recht",
            "confidence": "H",
        },
        {
            "key": "falsch",
            "name": "",
            "organisation": "T",
            "lands": "NRW",
            "category": "recht",
            "confidence": "H",
        },
    ]
    text = csv_text(rows)
    response = client.post(
        "/verzeichnis/import",
        data={"csrf_token": token, "datei": (io.BytesIO(text.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Zeile 3 (falsch)" in page and "Name fehlt." in page and "NRW" in page
    assert "Jetzt importieren" not in page
    forced = client.post("/verzeichnis/import", data={"csrf_token": token, "confirm": "ja", "text": text})
    assert forced.status_code == 422 and "Nichts wurde importiert" in forced.get_data(as_text=True)
    assert export_csv(deployed) == before and _count(deployed, SupportOfferChange) == changes_before
    # the same in English
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    english = client.post("/verzeichnis/import", data={"csrf_token": token, "confirm": "ja", "text": text})
    assert "Nothing was imported" in english.get_data(as_text=True)
    assert "name is missing." in english.get_data(as_text=True)


def test_the_land_boxes_are_labelled_with_the_lands_names_in_the_persons_language(deployed, client, auth):
    auth.login("tara")
    page = client.get("/verzeichnis/neu").get_data(as_text=True)
    assert 'value="BY" > Bayern</label>' in page and 'value="NW" > Nordrhein-Westfalen</label>' in page
    client.post("/sprache", data={"csrf_token": csrf_token(page), "language": "en"})
    english = client.get("/verzeichnis/neu").get_data(as_text=True)
    assert 'value="BY" > Bavaria</label>' in english
