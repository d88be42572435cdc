"""Inbound messages from the service's channels and the mailboxes' high-water marks (migration 0018).

* ``mailbox_marks``: per IMAP mailbox (host, user, folder) the UIDVALIDITY and the highest UID taken; it
  moves in the same transaction that stores a message, so a killed run resumes where it stopped.
* ``inbound_messages``: one row per message taken, unique by its place in the mailbox and by an
  idempotency key (the Message-ID, or the SHA-256 of the raw message without one). Headers, bodies and
  attachments are one sealed JSON document, the raw message sealed beside it with its SHA-256 in clear
  (evidence); a refused message keeps only why it was refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class MailboxMark(Base):
    __tablename__ = "mailbox_marks"

    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    uid_validity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)


class InboundMessage(Base):
    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email, portal, api
    mailbox: Mapped[str | None] = mapped_column(String(300))
    uid_validity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex
    received_at: Mapped[datetime] = mapped_column(Instant)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the raw message
    status: Mapped[str] = mapped_column(String(16))  # triage, case, refused, discarded
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    matched_by: Mapped[str | None] = mapped_column(String(16))  # thread, token, referral
    # the answer of a service a referral was handed over to (its thread on the case page, not the person's)
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="SET NULL"), index=True
    )
    refusal: Mapped[str | None] = mapped_column(String(40))  # too_large, too_many_attachments
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # headers, bodies, attachments (JSON)
    sealed_raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # the message as received
    # who has claimed the message's "E-Mail sichten" task in the inbox (migration 0029); None: the group's
    assignee: Mapped[str | None] = mapped_column(String(100))
    handled_at: Mapped[datetime | None] = mapped_column(Instant)  # triaged: onto a case or discarded
    handled_by: Mapped[str | None] = mapped_column(String(100))
    discard_reason: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed

    __table_args__ = (
        UniqueConstraint("mailbox", "uid_validity", "uid", name="uq_inbound_messages_place"),
        Index("ix_inbound_messages_status", "status", "received_at"),
    )


class SentReply(Base):
    """A counsellor's answer to the person: kept sealed for the conversation (the outbox drops its copy
    once sent); its delivery state is the outbox row's."""

    __tablename__ = "sent_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))  # email, postfach
    author: Mapped[str] = mapped_column(String(100))
    written_at: Mapped[datetime] = mapped_column(Instant)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # subject and body, bound to the case


class ReplyTemplate(Base):
    """A text a team lead keeps for answers, with placeholders filled from the case (migration 0024)."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(100))


class PortalMailbox(Base):
    """The anonymous mailbox of one contact through ``/kontakt``: a long random case code (its first part a
    lookup id in clear, the rest only as an argon2 hash) and the person's passphrase (argon2)."""

    __tablename__ = "portal_mailboxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    passphrase_hash: Mapped[str] = mapped_column(String(200))
    first_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Instant)


class ApiIntakeRequest(Base):
    """A portal's intake request (``POST /api/intake``): idempotent by (portal, request id); a signature is
    accepted once (replays refused)."""

    __tablename__ = "api_intake_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal: Mapped[str] = mapped_column(String(50))
    request_id: Mapped[str] = mapped_column(String(100))
    signature_digest: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(Instant)

    __table_args__ = (UniqueConstraint("portal", "request_id", name="uq_api_intake_requests_request"),)
