"""The referral tables: the directory's support offers, their change history, and closed-loop referrals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant

# -- Referral directory and closed-loop referrals (issue 6, migration 0008) ------------------------


class SupportOffer(Base):
    """An entry of the referral directory: who helps with what, where, and how sure we are of it.

    List-valued attributes (Länder, incident types, needs, languages) are space-separated codes.
    """

    __tablename__ = "support_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    lands: Mapped[str] = mapped_column(String(60))  # empty: nationwide
    category: Mapped[str] = mapped_column(String(30))
    incident_types: Mapped[str] = mapped_column(Text)
    needs: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    web: Mapped[str] = mapped_column(String(300))
    form_url: Mapped[str] = mapped_column(String(300))
    opening_hours: Mapped[str] = mapped_column(String(200))
    languages: Mapped[str] = mapped_column(String(200))
    warm_handover: Mapped[bool] = mapped_column(Boolean, default=False)
    internal_only: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str] = mapped_column(String(300))
    last_verified: Mapped[date | None] = mapped_column(Date)
    confidence: Mapped[str] = mapped_column(String(4))
    verify: Mapped[bool] = mapped_column(Boolean, default=False)  # flagged: facts to be confirmed
    notes: Mapped[str] = mapped_column(Text)
    retired_at: Mapped[datetime | None] = mapped_column(Instant)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_support_offers_active_category", "retired_at", "category"),)


class SupportOfferChange(Base):
    """Every change of a directory entry: who, when, and each field's old and new value (JSON)."""

    __tablename__ = "support_offer_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("support_offers.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Instant)
    by: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # created, changed, retired, verified, imported
    changes: Mapped[str] = mapped_column(Text)


class Referral(Base):
    """A case referred to a directory offer, with the person's consent and the referral's status.

    Consent is recorded per recipient as the fact keys that may be shared; case content itself never
    lands here (the handover e-mail goes through the outbox). The reason and the handover recipient are
    sealed (JSON, bound to the case: ``engine.referrals.referral_content``, migration 0023).
    """

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("support_offers.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_facts: Mapped[str] = mapped_column(String(200))  # space-separated fact keys
    consent_at: Mapped[datetime | None] = mapped_column(Instant)
    handover_at: Mapped[datetime | None] = mapped_column(Instant)
    created_at: Mapped[datetime] = mapped_column(Instant)
    created_by: Mapped[str] = mapped_column(String(100))
    # working time from the case's opening to this referral, tenths of an hour (migration 0022)
    opened_tenths: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(100))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once purged or erased
