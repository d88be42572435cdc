"""Screening uploads by content: allowed types pass, everything dangerous is refused with a clear message."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from engine.evidence.previews import thumbnail
from engine.evidence.screening import MAX_BYTES, EvidenceRefused, screen
from tests import evidence_files as files


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (files.screenshot_png(), "image/png"),
        (files.pdf(), "application/pdf"),
        (files.EML, "message/rfc822"),
        ("Notiz zum Anruf: äöü".encode(), "text/plain"),
        (files.small_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_allowed_types_are_detected_by_content(data, media_type):
    assert screen(data).media_type == media_type


@pytest.mark.parametrize(
    ("data", "german"),
    [
        (b"", "leer"),
        (b"a" * (MAX_BYTES + 1), "zu groß"),
        (files.renamed_executable(), "ausführbare Datei"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "ausführbare Datei"),
        (files.zip_bomb_docx(), "Zip-Bombe"),
        (files.SVG_WITH_SCRIPT, "Skripte"),
        (b"<html><body onload=alert(1)>", "Skripte"),
        (files.PDF_WITH_JAVASCRIPT, "aktive Inhalte"),
        (files.PDF_WITH_ESCAPED_JAVASCRIPT, "aktive Inhalte"),
        (files.PDF_WITH_HIDDEN_JAVASCRIPT, "aktive Inhalte"),
        (b"\x00\x01\x02\x03binary", "nicht angenommen"),
    ],
    ids=[
        "empty",
        "oversize",
        "renamed-exe",
        "elf",
        "zip-bomb",
        "svg-script",
        "html",
        "pdf-js",
        "pdf-js-escaped",
        "pdf-js-compressed",
        "unknown-binary",
    ],
)
def test_dangerous_or_unsupported_files_are_refused_with_a_message(data, german):
    with pytest.raises(EvidenceRefused) as refused:
        screen(data)
    assert german in refused.value.message("de")
    assert refused.value.message("en") and refused.value.message("en") != refused.value.message("de")


def test_the_thumbnail_is_a_small_re_encoded_png_without_the_uploaded_metadata():
    original = files.screenshot_png(text_chunk="MARKER-IN-METADATA")
    made = thumbnail(original)
    assert made.startswith(b"\x89PNG") and b"MARKER-IN-METADATA" not in made
    with Image.open(BytesIO(made)) as image:
        assert max(image.size) <= 320 and not image.text


def test_an_image_that_does_not_decode_is_refused():
    broken = files.screenshot_png()[:100]
    with pytest.raises(EvidenceRefused) as refused:
        thumbnail(broken)
    assert "beschädigt" in refused.value.message("de")
