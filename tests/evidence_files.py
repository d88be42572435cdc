"""Sample files for the evidence tests, built in the test (no binary fixtures in the repository)."""

from __future__ import annotations

import zipfile
import zlib
from io import BytesIO

from PIL import Image, PngImagePlugin


def screenshot_png(text_chunk: str = "") -> bytes:
    """A small PNG, optionally with a text chunk (metadata that the thumbnail must not keep)."""
    image = Image.new("RGB", (640, 400), (200, 30, 30))
    info = PngImagePlugin.PngInfo()
    if text_chunk:
        info.add_text("Comment", text_chunk)
    out = BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def renamed_executable() -> bytes:
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run"
    )


def zip_bomb_docx() -> bytes:
    """A DOCX-shaped archive whose one part unpacks to 60 MB of zeros (about 60 KB packed)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (60 * 1024 * 1024))
    return out.getvalue()


def small_docx() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Hallo</w:document>")
    return out.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
    b'<rect width="10" height="10"/></svg>'
)


def pdf(extra: bytes = b"", stream: bytes = b"BT /F1 12 Tf (Hallo) Tj ET") -> bytes:
    """A minimal PDF; ``extra`` goes into the catalogue, ``stream`` is the page content (deflated)."""
    packed = zlib.compress(stream)
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + extra + b" >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n"
        b"4 0 obj << /Length "
        + str(len(packed)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + packed
        + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


PDF_WITH_JAVASCRIPT = pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
PDF_WITH_ESCAPED_JAVASCRIPT = pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>")
PDF_WITH_HIDDEN_JAVASCRIPT = pdf(stream=b"<< /S /JavaScript /JS (app.alert(1)) >>")

EML = (
    b"From: absender@example.org\r\nTo: buergermeisterin@example.org\r\nSubject: Drohung\r\n"
    b"Date: Mon, 1 Jun 2026 10:00:00 +0200\r\nMessage-ID: <1@example.org>\r\n\r\nText der Nachricht.\r\n"
)
