"""The public contact page and the anonymous mailbox, modelled on whistleblowing systems.

A person describes the situation without signing in; the message becomes an intake to sight (channel
Portal). They receive a case code (long, random, shown once) and choose a passphrase; with both they read
the service's answers and write back at ``/kontakt/postfach``. The code's first part is a lookup id; the
rest and the passphrase are kept only as argon2 hashes; every message is sealed. A code opens its own
mailbox and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import insert, select

from engine.channels.conversation import note_new_message
from engine.channels.mail_intake import content_binding
from engine.channels.message_events import deliver_new_message
from engine.evidence.screening import EvidenceRefused, screen
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.store.channel_tables import InboundMessage, PortalMailbox, SentReply

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LOOKUP_CHARS, SECRET_CHARS = 8, 24  # 32 characters, 160 random bits in all
MAX_TEXT_CHARS = 10_000
MIN_PASSPHRASE_CHARS = 10
MAX_SCREENSHOTS = 3
MAX_SCREENSHOT_BYTES = 8 * 1024 * 1024  # all screenshots of one message together
ACTOR = "system:kontakt"
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("lotse-dummy-secret")  # unknown codes cost the same time as known ones


class PortalRefused(DomainError):
    code = "portal_refused"

    def __init__(self, field: str, german: str, english: str) -> None:
        super().__init__(german, english, field=field)
        self.field = field


@dataclass(frozen=True)
class Submitted:
    code: str  # shown once, grouped for reading: ABCD-EFGH-…


@dataclass(frozen=True)
class MailboxEntry:
    direction: str  # in (from the person), out (from the service)
    at: datetime
    text: str


def submit_contact(
    ctx: EngineContext,
    text: str,
    privacy: str,
    contact: str,
    passphrase: str,
    now: datetime | None = None,
    screenshots: list[tuple[str, bytes]] | None = None,
) -> Submitted:
    """Take a message from the public page, with screenshots ((file name, bytes), images only, checked by
    their content like evidence and sealed with the message); returns the case code (never stored in clear)."""
    now = now or ctx.clock.now()
    text = text.strip()
    if not text:
        raise PortalRefused("text", "Bitte beschreiben Sie Ihr Anliegen.", "Please describe your concern.")
    if len(text) > MAX_TEXT_CHARS:
        raise PortalRefused(
            "text", "Der Text ist zu lang (höchstens 10.000 Zeichen).", "The text is too long."
        )
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise PortalRefused(
            "passphrase",
            "Die Passphrase braucht mindestens 10 Zeichen.",
            "The passphrase needs at least 10 characters.",
        )
    attachments, data = _screenshots(screenshots or [])
    privacy = "vertraulich" if privacy == "vertraulich" else "anonym"
    code = "".join(secrets.choice(ALPHABET) for _ in range(LOOKUP_CHARS + SECRET_CHARS))
    document = {
        "subject": "Kontaktformular",
        "from": contact.strip()[:200] if privacy == "vertraulich" else "",
        "text": text,
        "html": "",
        "privacy": privacy,
        "attachments": attachments,
        "attachment_data": data,
    }
    with ctx.unit_of_work() as session:
        message_id = insert_portal_message(ctx, session, document, now, "triage", None)
        session.execute(
            insert(PortalMailbox).values(
                lookup=code[:LOOKUP_CHARS],
                code_hash=_HASHER.hash(code[LOOKUP_CHARS:]),
                passphrase_hash=_HASHER.hash(passphrase),
                first_message_id=message_id,
                created_at=now,
            )
        )
        audit.record(session, now, ACTOR, "message_received", None, "portal")
        session.commit()
    return Submitted("-".join(code[i : i + 4] for i in range(0, len(code), 4)))


def _screenshots(files: list[tuple[str, bytes]]) -> tuple[list[dict], list[str]]:
    """The screenshots' metadata and their bytes (hex, sealed with the message), or PortalRefused."""
    files = [(name, data) for name, data in files if data]
    if len(files) > MAX_SCREENSHOTS:
        raise PortalRefused(
            "screenshots",
            "Bitte höchstens drei Bildschirmfotos anhängen.",
            "Please attach three screenshots at most.",
        )
    if sum(len(data) for _, data in files) > MAX_SCREENSHOT_BYTES:
        raise PortalRefused(
            "screenshots",
            "Die Bildschirmfotos sind zusammen zu groß (höchstens 8 MB).",
            "The screenshots are too large together (8 MB at most).",
        )
    attachments, data = [], []
    for name, content in files:
        try:
            screened = screen(content)
        except EvidenceRefused as refused:
            raise PortalRefused(
                "screenshots", f"{name[:100]}: {refused.german}", f"{name[:100]}: {refused.english}"
            ) from refused
        if not screened.is_image:
            raise PortalRefused(
                "screenshots",
                f"{name[:100]}: Bitte nur Bilder anhängen (PNG, JPEG, GIF oder WebP).",
                f"{name[:100]}: Please attach images only (PNG, JPEG, GIF or WebP).",
            )
        attachments.append(
            {
                "filename": f"bildschirmfoto-{len(attachments) + 1}.{screened.extension}",
                "content_type": screened.media_type,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
        data.append(content.hex())
    return attachments, data


def insert_portal_message(
    ctx: EngineContext,
    session,
    document: dict,
    now: datetime,
    status: str,
    case_id: int | None,
    channel: str = "portal",
) -> int:
    """A sealed inbound message from the public side (its key random: there is no Message-ID)."""
    key = hashlib.sha256(b"portal:" + secrets.token_bytes(32)).hexdigest()
    return int(
        session.execute(
            insert(InboundMessage).values(
                channel=channel, idempotency_key=key, received_at=now, size=len(document["text"].encode()),
                status=status, case_id=case_id, attachment_count=len(document.get("attachments", [])),
                sealed=ctx.vault.seal(json.dumps(document).encode(), content_binding(key)),
            )
        ).inserted_primary_key[0]
    )  # fmt: skip


def open_mailbox(ctx: EngineContext, code: str, passphrase: str) -> int:
    """The mailbox id for a code and passphrase; the same refusal for every wrong combination."""
    cleaned = "".join(ch for ch in code.upper() if ch in ALPHABET)
    with ctx.unit_of_work(writes=False) as session:
        row = session.scalar(select(PortalMailbox).where(PortalMailbox.lookup == cleaned[:LOOKUP_CHARS]))
    code_ok = _verify(row.code_hash if row else _DUMMY, cleaned[LOOKUP_CHARS:])
    phrase_ok = _verify(row.passphrase_hash if row else _DUMMY, passphrase)
    if row is None or not (code_ok and phrase_ok):
        raise PortalRefused(
            "code",
            "Fallcode oder Passphrase stimmen nicht.",
            "The case code or the passphrase is not right.",
        )
    return row.id


def _verify(hashed: str, secret: str) -> bool:
    try:
        return _HASHER.verify(hashed, secret)
    except VerificationError:
        return False


def mailbox_messages(ctx: EngineContext, mailbox_id: int) -> list[MailboxEntry]:
    """The person's own messages and the service's answers, oldest first."""
    from engine.channels.mail_intake import open_document
    from engine.channels.replies import reply_binding

    with ctx.unit_of_work(writes=False) as session:
        mailbox = session.get(PortalMailbox, mailbox_id)
        assert mailbox is not None
        first = session.get(InboundMessage, mailbox.first_message_id)
        assert first is not None
        case_id = first.case_id
        incoming = [first]
        replies: list[SentReply] = []
        if case_id is not None:
            incoming = list(
                session.scalars(
                    select(InboundMessage).where(
                        InboundMessage.case_id == case_id, InboundMessage.channel == "portal"
                    )
                )
            )
            replies = list(
                session.scalars(
                    select(SentReply).where(SentReply.case_id == case_id, SentReply.channel == "postfach")
                )
            )
    entries = [
        MailboxEntry("in", row.received_at, open_document(ctx, row).get("text", "")) for row in incoming
    ]
    for reply in replies:
        content = json.loads(ctx.vault.open(reply.sealed, reply_binding(reply.case_id)))
        entries.append(MailboxEntry("out", reply.written_at, content["body"]))
    return sorted(entries, key=lambda entry: entry.at)


def write_back(ctx: EngineContext, mailbox_id: int, text: str, now: datetime | None = None) -> None:
    """The person answers from the mailbox: onto the case (with a "Neue Nachricht" task) or to sighting."""
    now = now or ctx.clock.now()
    text = text.strip()
    if not text or len(text) > MAX_TEXT_CHARS:
        raise PortalRefused(
            "text",
            "Bitte schreiben Sie eine Nachricht (höchstens 10.000 Zeichen).",
            "Please write a message.",
        )
    with ctx.unit_of_work() as session:
        mailbox = session.get(PortalMailbox, mailbox_id)
        assert mailbox is not None
        case_id = session.scalar(
            select(InboundMessage.case_id).where(InboundMessage.id == mailbox.first_message_id)
        )
        document = {"subject": "Postfach", "from": "", "text": text, "html": "", "attachments": []}
        message_id = insert_portal_message(
            ctx, session, document, now, "case" if case_id else "triage", case_id
        )
        if case_id is not None:
            note_new_message(session, case_id, message_id, now)
        audit.record(session, now, ACTOR, "message_received", case_id, "portal")
        session.commit()
    if case_id is not None:
        deliver_new_message(ctx, case_id, "portal", now)
