"""Exports of a published report: CSV and XLSX of every table, and the PDF report for the funder.

Only a published report (disclosure control applied) may be exported; an internal one is refused here as well.
The PDF draws each block's chart as horizontal bars next to its table (hidden cells have no bar)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fpdf import FPDF
from openpyxl import Workbook

from engine.statistics.report import Block, Report

WORDS = {
    "de": {
        "period": "Zeitraum",
        "title": "Lotse – Statistik der starken Stelle",
        "sources": "Datenquelle je Monat",
        "method": "Methodik",
        "sheet": "Methode",
        "Momentaufnahme": "Momentaufnahme",
        "live": "live",
    },
    "en": {
        "period": "Period",
        "title": "Lotse – statistics of the counselling service",
        "sources": "Data source per month",
        "method": "Method",
        "sheet": "Method",
        "Momentaufnahme": "snapshot",
        "live": "live",
    },
}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BAR_WIDTH = 60.0  # mm for the longest bar


class InternalFigures(ValueError):
    """An internal (unsuppressed) report must never leave the screen."""


def _published(report: Report) -> Report:
    if report.internal:
        raise InternalFigures("internal figures are never exported")
    return report


def _words(report: Report) -> dict[str, str]:
    return WORDS.get(report.language, WORDS["de"])


def _table(block: Block) -> list[list[str]]:
    return [[block.row_header, *block.columns], *([name, *cells] for name, cells in block.rows)]


def to_csv(report: Report) -> bytes:
    """Every table one after the other, each headed by its title; semicolons as German spreadsheets expect."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([f"{_words(report)['period']} {report.period.label()}"])
    for block in _published(report).blocks:
        writer.writerow([])
        writer.writerow([block.title])
        writer.writerows(_table(block))
    writer.writerow([])
    writer.writerow([report.method_note()])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report) -> bytes:
    """One sheet per table and one with the method note."""
    book = Workbook()
    note = book.active
    words = _words(report)
    note.title = words["sheet"]
    note.append([f"{words['period']} {report.period.label()}"])
    note.append([report.method_note()])
    for source, kind in report.sources:
        note.append([source, words.get(kind, kind)])
    for block in _published(report).blocks:
        sheet = book.create_sheet(block.key[:31])
        sheet.append([block.title])
        for row in _table(block):
            sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: Report) -> bytes:
    words = _words(report)
    pdf = FPDF()
    family = _font(pdf)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.cell(0, 10, _text(family, words["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    pdf.cell(0, 6, _text(family, f"{words['period']} {report.period.label()}"), new_x="LMARGIN", new_y="NEXT")
    sources = ", ".join(f"{name}: {words.get(kind, kind)}" for name, kind in report.sources)
    pdf.multi_cell(0, 5, _text(family, f"{words['sources']} – {sources}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, size=9)
    pdf.multi_cell(
        0, 5, _text(family, f"{words['method']}. {report.method_note()}"), new_x="LMARGIN", new_y="NEXT"
    )
    for block in _published(report).blocks:
        _block(pdf, family, block)
    return bytes(pdf.output())


def _font(pdf: FPDF) -> str:
    if FONT.exists():
        pdf.add_font("DejaVu", "", str(FONT))
        return "DejaVu"
    return "Helvetica"


def _text(family: str, text: str) -> str:
    if family != "Helvetica":
        return text
    return (
        text.translate(str.maketrans({"–": "-", "„": '"', "“": '"', "”": '"', "•": "*"}))
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _block(pdf: FPDF, family: str, block: Block) -> None:
    if pdf.get_y() > 230:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(family, size=11)
    pdf.cell(0, 7, _text(family, block.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=8)
    widths = [50.0] + [min(22.0, 80.0 / max(1, len(block.columns)))] * len(block.columns)
    largest = max([value for value in block.chart if value] or [1])
    for index, row in enumerate(_table(block)):
        for width, cell in zip(widths, row, strict=False):
            pdf.cell(width, 5, _text(family, cell), border=1)
        data_row = index - 1
        if 0 <= data_row < len(block.chart) and block.chart[data_row]:
            x, y = pdf.get_x() + 3, pdf.get_y() + 1
            pdf.set_fill_color(40, 90, 150)
            pdf.rect(x, y, BAR_WIDTH * block.chart[data_row] / largest, 3, style="F")
        pdf.ln(5)
