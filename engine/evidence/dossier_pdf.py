"""The dossier's page layout with fpdf2: a Unicode font where the system has one, plain text only."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)


class DossierPdf:
    """A4 pages with a title, headings and label–value lines; text that the font lacks is replaced."""

    def __init__(self, title: str) -> None:
        self._pdf = FPDF(format="A4")
        self._pdf.set_title(title)
        self._pdf.set_creator("Lotse")
        self._pdf.set_auto_page_break(auto=True, margin=15)
        font = next((path for path in UNICODE_FONTS if path.exists()), None)
        if font is not None:
            self._pdf.add_font("Body", "", str(font))
            self._family, self._unicode = "Body", True
        else:
            self._family, self._unicode = "Helvetica", False
        self._pdf.add_page()
        self._pdf.set_font(self._family, size=16)
        self._pdf.multi_cell(0, 9, self._text(title), new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(2)

    def heading(self, text: str) -> None:
        self._pdf.ln(3)
        self._pdf.set_font(self._family, size=13)
        self._pdf.multi_cell(0, 7, self._text(text), new_x="LMARGIN", new_y="NEXT")

    def subheading(self, text: str) -> None:
        self._pdf.ln(1)
        self._pdf.set_font(self._family, size=11)
        self._pdf.multi_cell(0, 6, self._text(text), new_x="LMARGIN", new_y="NEXT")

    def fact(self, label: str, value: str) -> None:
        self._pdf.set_font(self._family, size=9)
        # wrap_mode CHAR: hashes and URLs have no spaces to break at
        self._pdf.multi_cell(
            0, 5, self._text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR"
        )

    def line(self, text: str) -> None:
        self._pdf.set_font(self._family, size=9)
        self._pdf.multi_cell(0, 5, self._text(text), new_x="LMARGIN", new_y="NEXT")

    def output(self) -> bytes:
        return bytes(self._pdf.output())

    def _text(self, text: str) -> str:
        if self._unicode:
            return "".join(char if char.isprintable() or char == "\n" else " " for char in text)
        return text.encode("latin-1", "replace").decode("latin-1")
