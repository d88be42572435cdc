"""A team lead opens the year's statistics, switches a chart to its table, and exports the PDF and the XLSX."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.browser_api import expect
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors, log_in
from tests.integration import statistics_data

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)


def _small_numbers(words: list[str]) -> list[str]:
    return [word for word in words if word.isdigit() and 0 < int(word) < 5]


def test_team_lead_reads_the_year_and_exports_it(new_context, live_server, artifacts) -> None:
    with live_server.ctx.unit_of_work() as session:
        statistics_data.build(session)
        session.commit()
    context, watch = new_context()
    page = context.new_page()
    log_in(page, live_server, "tara")
    page.get_by_role("navigation").get_by_role("link", name="Statistik").click()
    page.get_by_label("Art", exact=True).select_option("jahr")
    page.get_by_label("Jahr", exact=True).fill("2026")
    page.get_by_role("button", name="Anzeigen").click()

    block = page.locator("#block-risikostufe")
    chart, table = block.locator("figure.stat-chart"), block.locator("table.stat-table")
    expect(chart).to_be_visible()
    expect(table).to_be_hidden()
    assert "Risikostufen" in (block.locator("canvas").get_attribute("aria-label") or "")
    toggle = block.get_by_role("button", name="Tabelle zeigen")
    toggle.click()
    expect(table).to_be_visible()
    expect(chart).to_be_hidden()
    expect(block.get_by_role("button", name="Diagramm zeigen")).to_have_attribute("aria-expanded", "true")
    expect(table.locator("tbody tr").last).to_contain_text("10")  # nine in March, one in February
    page.screenshot(path=str(artifacts / "statistics-year.png"), full_page=True)

    with page.expect_download() as pdf_download:
        page.locator("#export-pdf").click()
    pdf = Path(pdf_download.value.path()).read_bytes()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Methodik" in text and "Keine Zahl unter 5" in text
    tables = text[text.index("Fälle je Monat") :]  # the method note itself names the range 1 to 4
    assert "Fälle nach Land" in tables and _small_numbers(re.findall(r"\S+", tables)) == []

    with page.expect_download() as xlsx_download:
        page.locator("#export-xlsx").click()
    book = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    cells = [
        str(cell)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    assert "Fälle nach Land" in cells and _small_numbers(cells) == []
    assert_no_outside_traffic_or_script_errors(watch)
