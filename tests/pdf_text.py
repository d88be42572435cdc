"""The text of a PDF as ``pdftotext`` (Debian's poppler-utils) reads it: what a person or a court sees."""

from __future__ import annotations

import subprocess


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
