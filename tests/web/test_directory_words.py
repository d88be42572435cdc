"""Issue 23, item 15: the directory shows confidence in words, e-mail and web addresses in inputs like the
others (tests/e2e/test_counsellor_day_b.py), and says which problem an unreadable import file has."""

from __future__ import annotations

import io
import re

import pytest

from engine.directory.csv_exchange import export_csv, load_seed
from tests.web.conftest import csrf_token


def test_confidence_is_shown_in_words(deployed, client, auth):
    load_seed(deployed)
    auth.login("tara")
    page = client.get("/verzeichnis").get_data(as_text=True)
    cells = re.findall(r'<td data-confidence="(\w)">(.*?)</td>', page, re.S)
    assert cells, "no confidence column"
    for code, text in cells:
        shown = re.sub(r"<[^>]+>", " ", text)
        assert re.search(r"Verlässlichkeit (hoch|mittel|niedrig)", shown), shown
        assert f"{code} ·" not in shown and not shown.strip().startswith(code)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Bitte wählen Sie eine CSV-Datei aus."),  # no file chosen: the browser sends no name
        (b"   \n", "Die Datei ist leer"),
        ("key,name\nhateaid,Beratungsstelle Köln\n".encode("latin-1"), "nicht UTF-8-kodiert"),
        (b"PK\x03\x04\x00\x00binary\x00", "keine Textdatei"),
        (b"x" * (2 * 1024 * 1024 + 10), "größer als 2 MB"),
    ],
)
def test_every_import_problem_gets_its_own_message(deployed, client, auth, content, message):
    load_seed(deployed)
    auth.login("tara")
    token = csrf_token(client.get("/verzeichnis/import").get_data(as_text=True))
    before = export_csv(deployed)
    name = "verzeichnis.csv" if content else ""
    response = client.post(
        "/verzeichnis/import",
        data={"csrf_token": token, "datei": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert export_csv(deployed) == before
