"""The person behind a case (migration 0014): how the person wants to be treated, contact routes with their
blind index, the contacts log, links between cases and merged cases.

Everything that identifies a person is sealed by the vault, bound to the row's case; only codes (mode,
roles, kind of route, channel, direction) and keyed digests (``digest``: HMAC-SHA256 of the normalised
value, ``engine.person.blind_index``) are readable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class CasePerson(Base):
    """The person's choice (anonym or vertraulich), the two roles, and for confidential cases the sealed
    particulars: name or pseudonym, postal address, preferred times, message allowed, who else may answer."""

    __tablename__ = "case_persons"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12))  # anonym, vertraulich
    seeker_role: Mapped[str | None] = mapped_column(String(20))  # who seeks advice (code)
    affected_role: Mapped[str | None] = mapped_column(String(20))  # who is affected (code)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # JSON, only for confidential cases
    updated_at: Mapped[datetime] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(100))


class ContactRoute(Base):
    """A phone number, e-mail address or code word of a confidential case: sealed, found by its digest."""

    __tablename__ = "contact_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # telefon, email, codewort
    digest: Mapped[str] = mapped_column(String(64))
    digest_key: Mapped[str | None] = mapped_column(String(16))  # the index key's fingerprint (0023)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: value and a short label
    created_at: Mapped[datetime] = mapped_column(Instant)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_contact_routes_digest", "digest", "kind"),)


class CaseContact(Base):
    """One contact with the person (call, e-mail, video, letter, meeting); the summary is sealed."""

    __tablename__ = "case_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Instant)
    channel: Mapped[str] = mapped_column(String(12), index=True)  # anruf, email, video, brief, treffen
    direction: Mapped[str] = mapped_column(String(12))  # eingehend, ausgehend
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # the summary
    recorded_at: Mapped[datetime] = mapped_column(Instant)
    recorded_by: Mapped[str] = mapped_column(String(100))


class CaseLink(Base):
    """Two cases that belong together; stored once, with the smaller case id first."""

    __tablename__ = "case_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    other_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # gleiche_person, vorfallserie
    created_at: Mapped[datetime] = mapped_column(Instant)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("case_id", "other_case_id", "kind", name="uq_case_links_pair"),)


class CaseMerge(Base):
    """A duplicate case merged into another: its reference stays as a pointer to the target."""

    __tablename__ = "case_merges"

    merged_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    target_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    merged_at: Mapped[datetime] = mapped_column(Instant)
    merged_by: Mapped[str] = mapped_column(String(100))
