"""The one strict reader of whole numbers typed by people or sent in requests.

``str.isdigit`` accepts superscripts and ``int`` accepts digits of every script and thousands of them (until
Python's digit limit raises); here a number is ASCII digits only, of bounded length and range, or nothing.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # an identifier or a count: fits a 32-bit database integer
MAX_LONG = 2**63 - 1  # a form's ``long`` field: fits a 64-bit integer
_SIGNED = re.compile(r"[+-]?[0-9]+", re.ASCII)
_UNSIGNED = re.compile(r"[0-9]+", re.ASCII)


class NumberInvalid(ValueError):
    """Not a whole number in ASCII digits within the allowed range."""

    def __init__(self, text: str, minimum: int, maximum: int) -> None:
        shown = text if len(text) <= 20 else text[:20] + "…"
        super().__init__(f"not a whole number from {minimum} to {maximum}: {shown!r}")
        self.minimum = minimum
        self.maximum = maximum


def whole_number(text: object, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` writes in ASCII digits (a sign only when ``minimum`` is negative, surrounding
    blanks ignored), if it lies within ``minimum``..``maximum``; ``None`` for anything else."""
    try:
        return require_whole_number(text, minimum, maximum)
    except NumberInvalid:
        return None


def require_whole_number(text: object, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """As ``whole_number``, raising ``NumberInvalid`` instead of answering ``None``."""
    written = text.strip() if isinstance(text, str) else ""
    pattern = _SIGNED if minimum < 0 else _UNSIGNED
    longest = len(str(max(abs(minimum), abs(maximum)))) + 1  # room for a sign and one leading zero
    if len(written) > longest + 1 or pattern.fullmatch(written) is None:
        raise NumberInvalid(written if isinstance(text, str) else repr(text), minimum, maximum)
    value = int(written)
    if not minimum <= value <= maximum:
        raise NumberInvalid(written, minimum, maximum)
    return value
