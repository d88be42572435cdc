"""Reading one raw e-mail into plain values, whatever it holds: nothing in a message makes this raise.

MIME is parsed by the standard library (``policy.default``); a part in an unknown or wrong charset is
decoded with replacement characters; HTML is kept only sanitised by ``nh3`` (no scripts, no styles, no
images, so no remote content is ever loaded); attachments are kept as they came, never unpacked.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from functools import lru_cache
from html import unescape
from typing import Any

import nh3

HTML_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li", "ol",
    "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
REFERENCE_TOKEN = re.compile(r"\[Lotse (\d{4}-\d{5,})\]")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ReadMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    subject: str
    sender: str
    recipients: str
    date: str
    text: str
    html: str  # sanitised
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    defects: int = 0

    def reference_token(self) -> str | None:
        """The case reference Lotse puts into outgoing subjects (``[Lotse 2026-00012]``), if present."""
        found = REFERENCE_TOKEN.search(self.subject)
        return found.group(1) if found else None

    def document(self) -> dict[str, Any]:
        """What is sealed at rest: headers that identify the sender, bodies, attachments' metadata."""
        return {
            "message_id": self.message_id,
            "subject": self.subject,
            "from": self.sender,
            "to": self.recipients,
            "date": self.date,
            "text": self.text,
            "html": self.html,
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": len(a.data),
                    "sha256": a.sha256,
                }
                for a in self.attachments
            ],
        }


class _SharedHeaders(EmailPolicy):
    """``policy.default`` whose parsed headers are shared by equal (name, value) pairs: a part's
    Content-Type is looked up many times while a message is read, and mostly the same across messages.
    Parsed headers are immutable, so sharing them changes nothing but the time spent."""

    def header_fetch_parse(self, name, value):  # type: ignore[no-untyped-def]
        if hasattr(value, "name") or len(value) > 2000:
            return super().header_fetch_parse(name, value)
        return _parsed_header(name, value)


@lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str):  # type: ignore[no-untyped-def]
    return EmailPolicy.header_fetch_parse(_POLICY, name, value)


_POLICY = _SharedHeaders()


def read_mail(raw: bytes) -> ReadMail:
    """Parse ``raw``; a message the parser cannot make sense of becomes its bytes as text."""
    try:
        message = BytesParser(policy=_POLICY).parsebytes(raw)
        return _read(message)
    except Exception:
        return ReadMail(None, (), "", "", "", "", raw.decode("utf-8", "replace"), "", (), 1)


def message_ids(value: str) -> tuple[str, ...]:
    """The ids inside an In-Reply-To or References header, without angle brackets."""
    return tuple(_MESSAGE_ID.findall(value or ""))


def _read(message: EmailMessage) -> ReadMail:
    raw = {name.lower(): str(value) for name, value in message.raw_items()}  # ids need no header parsing
    references = message_ids(raw.get("in-reply-to", "")) + message_ids(raw.get("references", ""))
    ids = message_ids(raw.get("message-id", ""))
    return ReadMail(
        message_id=ids[0] if ids else None,
        in_reply_to=references,
        subject=_header(message, "Subject"),
        sender=_header(message, "From"),
        recipients=_header(message, "To"),
        date=raw.get("date", "").strip(),
        text=_body(message, "plain"),
        html=sanitise_html(_body(message, "html")),
        attachments=tuple(_attachments(message)),
        defects=len(message.defects),
    )


def sanitise_html(html: str) -> str:
    """Only harmless markup: no scripts, styles, images, forms or event attributes; links open nothing."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=HTML_TAGS,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def text_of_html(html: str) -> str:
    """The words of a sanitised HTML body, for places that show plain text only."""
    return unescape(nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})) if html else ""


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception:
        raw = message.get_all(name, failobj=[None])[0] if hasattr(message, "get_all") else None
        return str(raw or "")


def _body(message: EmailMessage, subtype: str) -> str:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:
        part = None
    if part is None:
        return ""
    return _text_of(part)


def _text_of(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except Exception:
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload or "")


def _attachments(message: EmailMessage) -> list[Attachment]:
    found: list[Attachment] = []
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
    except Exception:
        return found
    for part in parts:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        try:
            filename = part.get_filename() or "anhang"
        except Exception:
            filename = "anhang"
        found.append(Attachment(filename[:200], part.get_content_type(), data))
    return found
