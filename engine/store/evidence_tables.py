"""Evidence attached to a case (migration 0019).

``evidence_items``: one stored file per row. The file, its preview and everything the counsellor noted
about it (original name, SHA-256, platform, URL, profile, times, description) are sealed by the vault,
bound to the case (``evidence:{case_id}``); only the detected media type, the size and who added it when
stay in clear (none of them identifies the person).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class EvidenceItem(Base):
    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(Instant)
    added_by: Mapped[str] = mapped_column(String(100))
    media_type: Mapped[str] = mapped_column(String(100))  # detected from the content, never the name
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed; None once purged or erased
    preview: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed re-encoded PNG thumbnail (images)
    details: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed JSON: name, sha256, metadata


class ConsentRecord(Base):
    """A consent as a fact: to what (``subject``, for a handover or dossier also the recipient), which
    version of the consent text was shown, when and by which channel; withdrawn later or not. Subjects,
    recipients (kinds of bodies, never a person) and channels are codes and stay in clear."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(30))  # dokumentation, weitergabe, dossier
    recipient: Mapped[str | None] = mapped_column(String(30))  # polizei, hateaid, meldestelle
    text_version: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(Instant)
    recorded_by: Mapped[str] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None] = mapped_column(Instant)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100))


class ErasureRequest(Base):
    """An erasure on the person's request (Art. 17): asked by one team lead with a sealed reason (bound to
    the case), carried out only when a second team lead confirms; the reason goes with the content."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(Instant)
    requested_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed; None once the case is emptied
    status: Mapped[str] = mapped_column(String(16))  # pending, done, withdrawn
    confirmed_at: Mapped[datetime | None] = mapped_column(Instant)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))


class LegalHoldChange(Base):
    """A legal hold set or released (migration 0030): by whom and when in clear, the reason (a proceeding,
    a request, which may name people) sealed and bound to the case; the audit event names the row
    (``H-<id>``). The reason goes with the content when the case is emptied."""

    __tablename__ = "legal_hold_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(Instant)
    changed_by: Mapped[str] = mapped_column(String(100))
    hold: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed; None once the case is emptied
