"""The English catalog covers every German interface string, so English users never see a mix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _ids(catalog) -> set:
    return {
        message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id
    }


def test_every_entry_has_an_english_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [message.id for message in catalog if message.id and not all(_strings(message.string))]
    assert untranslated == []


def _strings(string) -> list[str]:
    return [string] if isinstance(string, str) else list(string)


def test_catalog_is_up_to_date_with_the_code(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "lazy_gettext",
         "-o", str(template), "--no-location", "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with template.open("rb") as handle:
        extracted = _ids(read_po(handle))
    with CATALOG.open("rb") as handle:
        known = _ids(read_po(handle))
    assert extracted - known == set(), "run `make translations` and translate the new strings"
