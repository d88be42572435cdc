"""The marker tests' search (issue 19): a distinctive marker, an e-mail carrying it everywhere, and every
form the marker could take on disk or in a log."""

from __future__ import annotations

import base64
import quopri
import re
from email.message import EmailMessage

MARKER = "QXZMARKER"
UMLAUT_MARKER = "QXZMÄRKERÜ"  # in the quoted-printable mail body
ADDRESS = "qxzmarker.person@example.org"  # the person's own address: a contact route
PHONE = "0170 9988776"


def forms(*secrets: str) -> list[bytes]:
    """Every form a secret could take on disk or in a log: UTF-8 as typed, lower and upper case,
    quoted-printable, and base64 (at each of the three alignments, the bytes that depend only on it)."""
    found: list[bytes] = []
    for secret in secrets:
        for variant in {secret, secret.lower(), secret.upper()}:
            raw = variant.encode()
            found += [raw, quopri.encodestring(raw).rstrip(b"=\n")]
            for shift in range(3):
                encoded = base64.b64encode(b"\0" * shift + raw)
                start = (shift * 4 + 2) // 3 + 1
                found.append(encoded[start : len(encoded) - 4])
    return [needle for needle in found if len(needle) >= 8]


def hits(haystack: bytes, needles: list[bytes]) -> list[bytes]:
    """Each needle found, with what stands around it (to tell where it leaked)."""
    found = []
    for needle in needles:
        for match in re.finditer(re.escape(needle), haystack):
            found.append(haystack[max(0, match.start() - 120) : match.end() + 60])
    return found


def mail_with_marker() -> bytes:
    message = EmailMessage()
    message["From"] = f"{MARKER} Person <{ADDRESS}>"
    message["Subject"], message["Message-ID"] = f"Drohung {MARKER}", "<qxz-1@example.org>"
    message.set_content(f"Guten Tag, {UMLAUT_MARKER}: ich werde bedroht.\n", cte="quoted-printable")
    message.add_attachment(
        f"Anhang {MARKER}".encode(), maintype="text", subtype="plain", filename=f"{MARKER}-drohung.txt"
    )
    return message.as_bytes()
