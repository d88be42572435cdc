"""The referral directory: support offers, their change history, search, retirement and re-verification.

Every attribute has one text form (the one the edit form and the CSV file use); the change history
stores old and new text per field, so what a team lead typed is what the history shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BERLIN, GERMAN_LANDS
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.store.referral_tables import SupportOffer, SupportOfferChange

Labels = tuple[str, str]  # German, English

CATEGORIES: dict[str, Labels] = {
    "polizei": ("Polizeiliche Ansprechstelle", "Police contact point"),
    "staatsanwaltschaft": ("Staatsanwaltschaft", "Prosecution"),
    "opferberatung": ("Opferberatung", "Victim counselling"),
    "online": ("Online-Hass / Meldestelle", "Online hate / reporting office"),
    "psychosozial": ("Psychosoziale Unterstützung", "Psychosocial support"),
    "recht": ("Rechtliche Unterstützung", "Legal support"),
    "schutz": ("Schutzmaßnahme", "Protective measure"),
    "praevention": ("Prävention", "Prevention"),
}
NEEDS: dict[str, Labels] = {
    "akut": ("Akute Gefahr", "Acute danger"),
    "sicherheit": ("Sicherheit", "Safety"),
    "anzeige": ("Anzeige / Strafverfolgung", "Criminal complaint"),
    "online_meldung": ("Online-Inhalte melden", "Reporting online content"),
    "beweise": ("Beweissicherung", "Securing evidence"),
    "recht": ("Rechtliche Orientierung", "Legal orientation"),
    "psychosozial": ("Psychosoziale Hilfe", "Psychosocial help"),
    "krise": ("Psychische Krise", "Psychological crisis"),
    "begleitung": ("Beratung und Begleitung Betroffener", "Counselling and accompaniment"),
    "adressschutz": ("Schutz der Wohnadresse", "Protecting the home address"),
    "gremium": ("Beratung für Rat oder Gemeinde", "Advice for a council or municipality"),
    "praevention": ("Prävention", "Prevention"),
    "frauen": ("Angebot für Frauen", "Service for women"),
}
INCIDENT_TYPES: dict[str, Labels] = {
    "beleidigung": ("Beleidigung", "Insult"),
    "ueble_nachrede": ("Üble Nachrede / Verleumdung", "Defamation"),
    "bedrohung": ("Bedrohung", "Threat"),
    "noetigung": ("Nötigung", "Coercion"),
    "nachstellung": ("Nachstellung / Stalking", "Stalking"),
    "volksverhetzung": ("Volksverhetzung", "Incitement to hatred"),
    "doxxing": ("Doxxing", "Doxxing"),
    "sexualisiert": ("Sexuelle Belästigung / sexualisierte Gewalt", "Sexual harassment / violence"),
    "sachbeschaedigung_oeffentlich": ("Sachbeschädigung (öffentlich)", "Property damage (public)"),
    "sachbeschaedigung_privat": ("Sachbeschädigung (privat)", "Property damage (private)"),
    "koerperverletzung": ("Körperverletzung / tätlicher Angriff", "Physical attack"),
    "stoerung_sitzung": ("Störung von Sitzungen", "Disruption of meetings"),
    "anfeindung": ("Anfeindung unterhalb der Strafbarkeit", "Hostility below the criminal threshold"),
    "kein_vorfall": ("Kein Vorfall (Information, Prävention)", "No incident (information, prevention)"),
}
CONFIDENCE: dict[str, Labels] = {
    "H": ("hoch – mehrere amtliche Quellen", "high – several official sources"),
    "M": ("mittel – eine glaubwürdige Quelle", "medium – one credible source"),
    "L": ("niedrig – schwache Quelle", "low – weak source"),
}
NATIONWIDE = "bundesweit"
REVERIFY_MONTHS = 12
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


class OfferChangedMeanwhile(DomainError):
    code = "offer_conflict"

    def __init__(self, name: str, by: str, at: datetime) -> None:
        when = at.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
        super().__init__(
            f"„{name}“ wurde inzwischen von {by} am {when} geändert. Bitte laden Sie die Seite neu; "
            "Ihre Änderung wurde nicht gespeichert.",
            f"'{name}' was changed meanwhile by {by} at {when}. Please reload; your change was not saved.",
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


@dataclass(frozen=True)
class OfferChange:
    at: datetime
    by: str
    action: str
    changes: dict[str, tuple[str, str]]


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
    return Offer(row.id, data_of(row), row.retired_at, row.version, row.updated_at, row.updated_by)


def _columns(data: OfferData) -> dict[str, object]:
    columns = asdict(data)
    for name in LIST_FIELDS:
        columns[name] = " ".join(columns[name])
    return columns


def _diff(before: OfferData | None, after: OfferData) -> dict[str, tuple[str, str]]:
    old = offer_text(before) if before else dict.fromkeys(FIELDS, "")
    new = offer_text(after)
    return {name: (old[name], new[name]) for name in FIELDS if old[name] != new[name]}


def _log(session: Session, offer_id: int, at: datetime, by: str, action: str, changes: dict) -> None:
    session.add(
        SupportOfferChange(
            offer_id=offer_id, at=at, by=by, action=action, changes=json.dumps(changes, ensure_ascii=False)
        )
    )


def _require_team_lead(actor: Actor, action: str) -> None:
    if not actor.is_team_lead:
        raise NotPermitted(action)


def insert_offer(session: Session, data: OfferData, at: datetime, by: str, action: str = "created") -> int:
    """Store a new entry and its first history line (inside the caller's unit of work)."""
    if session.scalar(select(SupportOffer.id).where(SupportOffer.key == data.key)) is not None:
        raise OfferInvalid(
            {"key": (f"Das Kürzel {data.key} ist schon vergeben.", f"The key {data.key} is already taken.")}
        )
    row = SupportOffer(**_columns(data), version=1, updated_at=at, updated_by=by)
    session.add(row)
    session.flush()
    _log(session, row.id, at, by, action, _diff(None, data))
    return row.id


def update_offer(
    session: Session, row: SupportOffer, data: OfferData, at: datetime, by: str, action: str = "changed"
) -> dict[str, tuple[str, str]]:
    """Apply changed fields to a row and log them; returns the changes (none: nothing written)."""
    changes = _diff(data_of(row), data)
    if "key" in changes:
        raise OfferInvalid(
            {"key": ("Das Kürzel eines Eintrags bleibt fest.", "The key of an entry cannot change.")}
        )
    if not changes:
        return changes
    for name, value in _columns(data).items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = at
    row.updated_by = by
    _log(session, row.id, at, by, action, changes)
    return changes


# -- use cases -------------------------------------------------------------------------------------


def create_offer(ctx: EngineContext, actor: Actor, data: OfferData, now: datetime | None = None) -> int:
    _require_team_lead(actor, "edit directory")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        offer_id = insert_offer(session, data, now, actor.username)
        audit.record(session, now, actor.username, "directory_changed", None, f"created {data.key}")
        session.commit()
    return offer_id


def change_offer(
    ctx: EngineContext,
    actor: Actor,
    offer_id: int,
    data: OfferData,
    seen_version: int,
    now: datetime | None = None,
) -> dict[str, tuple[str, str]]:
    """Save an edit made on ``seen_version``; an entry changed meanwhile is refused (nothing changes)."""
    _require_team_lead(actor, "edit directory")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = _row(session, offer_id)
        if row.version != seen_version:
            raise OfferChangedMeanwhile(row.name, row.updated_by, row.updated_at)
        changes = update_offer(session, row, data, now, actor.username)
        if changes:
            audit.record(session, now, actor.username, "directory_changed", None, f"changed {row.key}")
            session.commit()
    return changes


def retire_offer(ctx: EngineContext, actor: Actor, offer_id: int, now: datetime | None = None) -> None:
    """Take an entry out of proposals; it stays for the history and for existing referrals."""
    _require_team_lead(actor, "retire directory entry")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = _row(session, offer_id)
        if row.retired_at is not None:
            return
        row.retired_at = now
        row.version += 1
        row.updated_at = now
        row.updated_by = actor.username
        _log(session, row.id, now, actor.username, "retired", {"retired": ("", "ja")})
        audit.record(session, now, actor.username, "directory_changed", None, f"retired {row.key}")
        session.commit()


def mark_verified(ctx: EngineContext, actor: Actor, offer_id: int, now: datetime | None = None) -> None:
    """The entry was checked against its source today: set ``last_verified`` and clear the flag."""
    _require_team_lead(actor, "verify directory entry")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = _row(session, offer_id)
        data = data_of(row)
        checked = OfferData(
            **{**asdict(data), "last_verified": now.astimezone(BERLIN).date(), "verify": False}
        )
        update_offer(session, row, checked, now, actor.username, "verified")
        audit.record(session, now, actor.username, "directory_changed", None, f"verified {row.key}")
        session.commit()


def _row(session: Session, offer_id: int) -> SupportOffer:
    row = session.get(SupportOffer, offer_id)
    if row is None:
        raise NotFound("Eintrag/Entry", offer_id)
    return row


def read_offer(ctx: EngineContext, offer_id: int) -> tuple[Offer, list[OfferChange]]:
    """An entry with its change history, newest first."""
    with ctx.unit_of_work(writes=False) as session:
        offer = offer_of(_row(session, offer_id))
        history = session.scalars(
            select(SupportOfferChange)
            .where(SupportOfferChange.offer_id == offer_id)
            .order_by(SupportOfferChange.at.desc(), SupportOfferChange.id.desc())
        ).all()
        return offer, [
            OfferChange(c.at, c.by, c.action, {k: tuple(v) for k, v in json.loads(c.changes).items()})
            for c in history
        ]


def search_offers(
    ctx: EngineContext, text: str = "", land: str = "", category: str = "", retired: bool = False
) -> list[Offer]:
    """Entries whose name, organisation, key or notes contain ``text``, valid in ``land`` (or nationwide)."""
    query = matching_offers(text, land, category, retired)
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(query.order_by(SupportOffer.category, SupportOffer.name)).all()
        return [offer_of(row) for row in rows]


def matching_offers(text: str = "", land: str = "", category: str = "", retired: bool = False) -> Select:
    """The query behind ``search_offers``, for callers that read in their own session."""
    query = select(SupportOffer)
    if not retired:
        query = query.where(SupportOffer.retired_at.is_(None))
    if text.strip():
        typed = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"  # what was typed is matched literally, wildcards included
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        SupportOffer.name,
                        SupportOffer.organisation,
                        SupportOffer.key,
                        SupportOffer.notes,
                    )
                )
            )
        )
    if land in GERMAN_LANDS:
        query = query.where(or_(SupportOffer.lands == "", SupportOffer.lands.like(f"%{land}%")))
    if category in CATEGORIES:
        query = query.where(SupportOffer.category == category)
    return query


def reverification_due(today: date) -> date:
    """Entries last verified on or before this day need checking again (twelve months back)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def needs_reverification(ctx: EngineContext, now: datetime | None = None) -> list[Offer]:
    """Active entries never verified, flagged for checking, or last verified twelve months ago or more."""
    today = (now or ctx.clock.now()).astimezone(BERLIN).date()
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(
            select(SupportOffer)
            .where(SupportOffer.retired_at.is_(None))
            .where(
                or_(
                    SupportOffer.verify.is_(True),
                    SupportOffer.last_verified.is_(None),
                    SupportOffer.last_verified <= reverification_due(today),
                )
            )
            .order_by(SupportOffer.last_verified.is_not(None), SupportOffer.last_verified, SupportOffer.name)
        ).all()
        return [offer_of(row) for row in rows]
