"""A directory entry (support offer): its value type, the text form of its attributes and their parsing.

Every attribute has one text form (the one the edit form and the CSV file use); the change history
stores old and new text per field, so what a team lead typed is what the history shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy.orm import Session

from engine.calendar.laender import GERMAN_LANDS
from engine.directory.vocabulary import CATEGORIES, CONFIDENCE, INCIDENT_TYPES, NEEDS, Labels
from engine.kernel.errors import DomainError, NotFound
from engine.store.referral_tables import SupportOffer

NATIONWIDE = "bundesweit"
TEXT_LIMITS = {
    "name": 200,
    "organisation": 200,
    "phone": 100,
    "email": 200,
    "web": 300,
    "form_url": 300,
    "opening_hours": 200,
    "languages": 200,
    "source_url": 300,
    "notes": 4000,
}
_KEY = re.compile(r"^[a-z0-9_]{2,60}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"ja", "yes", "true", "1", "on", "x"}
_FALSE = {"nein", "no", "false", "0", "off", ""}

Message = tuple[str, str]


class OfferInvalid(DomainError):
    """An entry that cannot be stored; ``errors`` maps each field to a German and an English message."""

    code = "offer_invalid"

    def __init__(self, errors: dict[str, Message]) -> None:
        self.errors = errors
        super().__init__(
            "Der Eintrag wurde nicht gespeichert: " + " ".join(m[0] for m in errors.values()),
            "The entry was not saved: " + " ".join(m[1] for m in errors.values()),
            fields=tuple(errors),
        )


@dataclass(frozen=True)
class OfferData:
    """The editable attributes of a directory entry."""

    key: str
    name: str
    organisation: str
    lands: tuple[str, ...]  # empty: nationwide
    category: str
    incident_types: tuple[str, ...]
    needs: tuple[str, ...]
    phone: str
    email: str
    web: str
    form_url: str
    opening_hours: str
    languages: str
    warm_handover: bool
    internal_only: bool
    source_url: str
    last_verified: date | None
    confidence: str
    verify: bool
    notes: str

    @property
    def nationwide(self) -> bool:
        return not self.lands


FIELDS = tuple(f.name for f in fields(OfferData))
LIST_FIELDS = ("lands", "incident_types", "needs")
BOOL_FIELDS = ("warm_handover", "internal_only", "verify")


@dataclass(frozen=True)
class Offer:
    """A stored entry: its data, whether it is retired, and the version an edit must have seen."""

    id: int
    data: OfferData
    retired_at: datetime | None
    version: int
    updated_at: datetime
    updated_by: str

    def __getattr__(self, name: str):  # the data's attributes read as the offer's own
        return getattr(self.data, name)


def offer_text(data: OfferData) -> dict[str, str]:
    """The text form of every attribute (edit form, CSV, change history)."""
    text: dict[str, str] = {}
    for name, value in asdict(data).items():
        if name == "lands":
            text[name] = " ".join(value) if value else NATIONWIDE
        elif name in LIST_FIELDS:
            text[name] = " ".join(value)
        elif name in BOOL_FIELDS:
            text[name] = "ja" if value else "nein"
        elif name == "last_verified":
            text[name] = value.isoformat() if value else ""
        else:
            text[name] = value
    return text


def parse_offer(raw: Mapping[str, str | None]) -> OfferData:
    """Typed data from text; raises OfferInvalid naming every bad field."""
    errors: dict[str, Message] = {}
    text = {name: str(raw.get(name) or "").strip() for name in FIELDS}
    values: dict[str, object] = {}
    for name in FIELDS:
        try:
            values[name] = _PARSERS.get(name, _plain(name))(text[name])
        except _Bad as bad:
            errors[name] = bad.message
    if errors:
        raise OfferInvalid(errors)
    return OfferData(**values)  # type: ignore[arg-type]


class _Bad(Exception):
    def __init__(self, german: str, english: str) -> None:
        super().__init__(english)
        self.message: Message = (german, english)


def _plain(name: str):
    def parse(value: str) -> str:
        if len(value) > TEXT_LIMITS[name]:
            raise _Bad(
                f"{_GERMAN_NAMES[name]}: höchstens {TEXT_LIMITS[name]} Zeichen.",
                f"{name}: at most {TEXT_LIMITS[name]} characters.",
            )
        if "\x00" in value:
            raise _Bad(f"{_GERMAN_NAMES[name]}: ungültige Zeichen.", f"{name}: invalid characters.")
        return value

    return parse


def _required(name: str):
    plain = _plain(name)

    def parse(value: str) -> str:
        if not value:
            raise _Bad(f"{_GERMAN_NAMES[name]} fehlt.", f"{name} is missing.")
        return plain(value)

    return parse


def _key(value: str) -> str:
    if not _KEY.match(value):
        raise _Bad(
            "Kürzel: 2–60 Kleinbuchstaben, Ziffern oder _ (z. B. hateaid).",
            "Key: 2–60 lower-case letters, digits or _ (e.g. hateaid).",
        )
    return value


def _lands(value: str) -> tuple[str, ...]:
    if value.lower() in ("", NATIONWIDE, "nationwide"):
        return ()
    codes = value.replace(",", " ").upper().split()
    unknown = [code for code in codes if code not in GERMAN_LANDS]
    if unknown:
        raise _Bad(
            f"Unbekannte Länderkürzel: {', '.join(unknown)} (z. B. BY NW oder „bundesweit“).",
            f"Unknown Land codes: {', '.join(unknown)} (e.g. BY NW or 'bundesweit').",
        )
    return tuple(sorted(set(codes)))


def _codes(name: str, vocabulary: Mapping[str, Labels]):
    def parse(value: str) -> tuple[str, ...]:
        codes = value.replace(",", " ").lower().split()
        unknown = [code for code in codes if code not in vocabulary]
        if unknown:
            raise _Bad(
                f"{_GERMAN_NAMES[name]}: unbekannt {', '.join(unknown)}; erlaubt: {', '.join(vocabulary)}.",
                f"{name}: unknown {', '.join(unknown)}; allowed: {', '.join(vocabulary)}.",
            )
        return tuple(dict.fromkeys(codes))

    return parse


def _category(value: str) -> str:
    if value not in CATEGORIES:
        raise _Bad(
            f"Kategorie fehlt oder ist unbekannt; erlaubt: {', '.join(CATEGORIES)}.",
            f"Category missing or unknown; allowed: {', '.join(CATEGORIES)}.",
        )
    return value


def _flag(name: str):
    def parse(value: str) -> bool:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _Bad(f"{_GERMAN_NAMES[name]}: bitte ja oder nein.", f"{name}: please yes or no.")

    return parse


def _email(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise _Bad("E-Mail-Adresse ist ungültig.", "The e-mail address is invalid.")
    return _plain("email")(value)


def _url(name: str):
    plain = _plain(name)

    def parse(value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise _Bad(
                f"{_GERMAN_NAMES[name]}: bitte eine Adresse mit https:// angeben.",
                f"{name}: please give an address starting with https://.",
            )
        return plain(value)

    return parse


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(
            "Zuletzt geprüft: Datum als JJJJ-MM-TT angeben.", "Last verified: give the date as YYYY-MM-DD."
        ) from None


def _confidence(value: str) -> str:
    if value.upper() not in CONFIDENCE:
        raise _Bad("Verlässlichkeit: H, M oder L.", "Confidence: H, M or L.")
    return value.upper()


_GERMAN_NAMES = {
    "key": "Kürzel",
    "name": "Name",
    "organisation": "Träger",
    "lands": "Geltungsbereich",
    "category": "Kategorie",
    "incident_types": "Vorfallarten",
    "needs": "Bedarfe",
    "phone": "Telefon",
    "email": "E-Mail",
    "web": "Website",
    "form_url": "Formular",
    "opening_hours": "Erreichbarkeit",
    "languages": "Sprachen",
    "warm_handover": "Warme Übergabe möglich",
    "internal_only": "Nur intern",
    "source_url": "Quelle",
    "last_verified": "Zuletzt geprüft",
    "confidence": "Verlässlichkeit",
    "verify": "Zu prüfen",
    "notes": "Notizen",
}
_PARSERS = {
    "key": _key,
    "name": _required("name"),
    "organisation": _required("organisation"),
    "lands": _lands,
    "category": _category,
    "incident_types": _codes("incident_types", INCIDENT_TYPES),
    "needs": _codes("needs", NEEDS),
    "email": _email,
    "web": _url("web"),
    "form_url": _url("form_url"),
    "source_url": _url("source_url"),
    "warm_handover": _flag("warm_handover"),
    "internal_only": _flag("internal_only"),
    "verify": _flag("verify"),
    "last_verified": _day,
    "confidence": _confidence,
}


# -- rows ------------------------------------------------------------------------------------------


def data_of(row: SupportOffer) -> OfferData:
    """The typed data of a stored row."""
    return OfferData(
        key=row.key,
        name=row.name,
        organisation=row.organisation,
        lands=tuple(row.lands.split()),
        category=row.category,
        incident_types=tuple(row.incident_types.split()),
        needs=tuple(row.needs.split()),
        phone=row.phone,
        email=row.email,
        web=row.web,
        form_url=row.form_url,
        opening_hours=row.opening_hours,
        languages=row.languages,
        warm_handover=row.warm_handover,
        internal_only=row.internal_only,
        source_url=row.source_url,
        last_verified=row.last_verified,
        confidence=row.confidence,
        verify=row.verify,
        notes=row.notes,
    )


def offer_of(row: SupportOffer) -> Offer:
    """A stored row as an entry with its version."""
    return Offer(row.id, data_of(row), row.retired_at, row.version, row.updated_at, row.updated_by)


def offer_row(session: Session, offer_id: int) -> SupportOffer:
    """The row of an entry; NotFound if there is none."""
    row = session.get(SupportOffer, offer_id)
    if row is None:
        raise NotFound("Eintrag/Entry", offer_id)
    return row
