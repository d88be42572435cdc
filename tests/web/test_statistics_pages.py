"""/statistik: team leads and the reporting role; internal figures on screen only; exports always suppressed."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine.staff.accounts import add_staff
from engine.store.tables import AuditEvent
from tests.integration import statistics_data
from tests.web.conftest import PASSWORD, csrf_token

MARCH = "/statistik?art=monat&jahr=2026&nummer=3"


@pytest.fixture
def data(app, deployed):
    add_staff(deployed, "test", "rita", "Rita", PASSWORD, ["berichte"])
    with deployed.unit_of_work() as session:
        statistics_data.build(session)
        session.commit()
    return deployed


def _land_table(page: str) -> str:
    found = re.search(r'<table id="table-land".*?</table>', page, re.S)
    assert found
    return found.group(0)


def _small_counts(cells: list[object]) -> list[object]:
    return [cell for cell in cells if str(cell).strip().isdigit() and 0 < int(str(cell)) < 5]


def test_team_lead_sees_the_month_with_small_cells_hidden(client, auth, data) -> None:
    auth.login("tara")
    page = client.get(MARCH).get_data(as_text=True)
    land = _land_table(page)
    assert "<td>&lt; 5</td>" in land and "<td>•</td>" in land and "<td>9</td>" in land
    assert "<td>7</td>" not in land and "<td>2</td>" not in land
    assert "Live-Daten aus den Fällen." in page and "Keine Zahl unter 5" in page
    assert 'src="/static/dist/statistics.js"' in page and "<script>" not in page


def test_internal_figures_for_team_leads_only_and_marked(client, auth, data) -> None:
    auth.login("tara")
    page = client.get(MARCH + "&intern=1").get_data(as_text=True)
    assert "<td>7</td>" in _land_table(page) and "intern" in page
    client.post("/logout", data={})
    auth.login("rita")
    page = client.get(MARCH + "&intern=1").get_data(as_text=True)
    assert "<td>7</td>" not in _land_table(page) and "<td>&lt; 5</td>" in _land_table(page)


def test_counsellors_may_not_open_statistics(client, auth, data) -> None:
    auth.login("anna")
    assert client.get(MARCH).status_code == 403
    assert client.get("/statistik/export.xlsx?art=jahr&jahr=2026").status_code == 403


def test_a_wrong_period_is_named_at_its_field(client, auth, data) -> None:
    auth.login("rita")
    response = client.get("/statistik?art=monat&jahr=2026&nummer=13")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="nummer-error"' in page and "Bitte eine Zahl von 1 bis 12 angeben." in page


def test_exports_never_hold_an_internal_figure(client, auth, data) -> None:
    auth.login("tara")
    query = "art=monat&jahr=2026&nummer=3&intern=1"
    book = load_workbook(io.BytesIO(client.get(f"/statistik/export.xlsx?{query}").data))
    cells = [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Fälle nach Land" in cells and _small_counts(cells) == []
    assert "< 5" in cells and "•" in cells  # the same marks as on screen
    assert any("Keine Zahl unter 5" in str(cell) and "ausgeblendet" in str(cell) for cell in cells)
    answer = client.get(f"/statistik/export.csv?{query}")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"  # said once
    text = answer.data.decode("utf-8-sig")
    rows = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    assert (
        rows[rows.index("Land") : rows.index("Land") + 2] == ["Land", "Anzahl"] and _small_counts(rows) == []
    )
    assert rows[rows.index("HB") : rows.index("HB") + 4] == ["HB", "< 5", "NW", "•"]
    pdf = client.get(f"/statistik/export.pdf?{query}").data
    assert pdf.startswith(b"%PDF")
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Keine Zahl unter 5" in words and "Fälle nach Land" in words
    assert "< 5" in words and "•" in words and "aus Schutzgründen ausgeblendet" in " ".join(words.split())
    with data.unit_of_work(writes=False) as session:
        exported = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "statistics_exported")
        ).all()
    assert sorted(detail.split()[-1] for detail in exported) == ["csv", "pdf", "xlsx"]


def test_report_and_its_exports_in_english_when_the_user_reads_english(client, auth, data) -> None:
    auth.login("tara")
    token = csrf_token(client.get("/statistik").get_data(as_text=True))
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    page = client.get(MARCH).get_data(as_text=True)
    assert "Cases by Land" in page and "Requests by type (mentions)" in page and "Fälle nach Land" not in page
    assert "Disclosure control: no number below 5 is published" in page and "Keine Zahl unter" not in page
    assert '<th scope="row">Total</th>' in page and "<td>&lt; 5</td>" in page
    words = subprocess.run(
        ["pdftotext", "-", "-"],
        input=client.get("/statistik/export.pdf?art=monat&jahr=2026&nummer=3").data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    flat = " ".join(words.split())
    assert "Cases by Land" in flat and "withheld to protect small cells" in flat and "Method." in flat
    assert "Fälle nach Land" not in flat and "Geheimhaltung" not in flat
    book = load_workbook(io.BytesIO(client.get("/statistik/export.xlsx?art=monat&jahr=2026&nummer=3").data))
    assert book.sheetnames[0] == "Method" and "Cases by Land" in [c.value for c in book["land"]["A"]]


def test_report_is_german_by_default(client, auth, data) -> None:
    auth.login("rita")
    page = client.get(MARCH).get_data(as_text=True)
    assert (
        "Fälle nach Land" in page and "Anfragen nach Art (Nennungen)" in page and "Cases by Land" not in page
    )
