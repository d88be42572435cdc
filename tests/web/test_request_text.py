"""NUL bytes in addresses, queries or forms, and form fields without a name: 400 with a clear message in
German and English, before anything is stored."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from engine.cases.lifecycle import open_case
from engine.store.tables import CaseNote
from tests.conftest import COUNSELLOR
from tests.web.conftest import csrf_token

NUL_MESSAGE = "unzulässiges Steuerzeichen (Nullbyte)"


def _notes(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(CaseNote))


def _refused(response, phrase: str = NUL_MESSAGE) -> None:
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Anfrage nicht lesbar" in page and phrase in page


def test_nul_bytes_anywhere_are_refused_and_nothing_is_stored(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    _refused(client.post("/login", data={"username": "anna\x00", "password": "x"}))  # anonymous too
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    _refused(client.post(f"/faelle/{case_id}/notizen", data={"csrf_token": token, "text": "a\x00b"}))
    _refused(client.post(f"/faelle/{case_id}/notizen", data={"csrf_token": token, "text": "a", "x\x00": "1"}))
    assert _notes(deployed) == 0
    _refused(client.get("/", query_string={"risk": "HOCH\x00"}))
    _refused(client.get("/aufgaben/%00"))
    _refused(client.get("/verzeichnis", query_string={"\x00": "x"}))
    upload = {"csrf_token": token, "datei": (io.BytesIO(b"key\n"), "a\x00.csv")}
    _refused(client.post("/verzeichnis/import", data=upload, content_type="multipart/form-data"))
    assert (
        client.post(f"/faelle/{case_id}/notizen", data={"csrf_token": token, "text": "ok"}).status_code == 302
    )
    assert _notes(deployed) == 1


def test_a_form_field_without_a_name_is_refused(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(
        f"/faelle/{case_id}/notizen",
        data=f"csrf_token={token}&text=Notiz&=ohne+Namen",
        content_type="application/x-www-form-urlencoded",
    )
    _refused(response, "Formularfeld ohne Namen")
    assert _notes(deployed) == 0


def test_the_message_in_english(deployed, client, auth):
    auth.login("anna")
    page = client.get("/").get_data(as_text=True)
    client.post("/sprache", data={"csrf_token": csrf_token(page), "language": "en"})
    response = client.get("/", query_string={"tab": "\x00"})
    assert response.status_code == 400
    assert "forbidden control character (a NUL byte)" in response.get_data(as_text=True)
