"""The blind index: a keyed HMAC-SHA256 over a normalised phone number, e-mail address or code word.

The index key is a key of its own (``LOTSE_INDEX_KEY``, ``EngineContext.index_key``), so the digests in the
database neither reveal the values nor can be recomputed from the encryption keys alone. The clear value is
never stored, logged or compared by decrypting cases.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from engine.kernel.errors import DomainError

DEFAULT_REGION = "DE"
PHONE, EMAIL, CODE_WORD = "telefon", "email", "codewort"
KINDS = (PHONE, EMAIL, CODE_WORD)


class RouteInvalid(DomainError):
    """A contact route that cannot be normalised; ``field`` names the form field it came from."""

    code = "route_invalid"


def normalised_phone(text: str) -> str:
    """E.164 (``+491711234567``) for any common way of writing a number; German numbers need no prefix."""
    shown = (text or "").strip()[:40]
    try:
        number = phonenumbers.parse(shown, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise RouteInvalid(
            f"„{shown}“ ist keine gültige Telefonnummer.",
            f"'{shown}' is not a valid phone number.",
            field=PHONE,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised_email(text: str) -> str:
    """The address trimmed and lower-cased, after a syntax check (no DNS look-up)."""
    shown = (text or "").strip()[:200]
    try:
        checked = validate_email(shown, check_deliverability=False)
    except EmailNotValidError:
        raise RouteInvalid(
            f"„{shown}“ ist keine gültige E-Mail-Adresse.",
            f"'{shown}' is not a valid e-mail address.",
            field=EMAIL,
        ) from None
    return checked.normalized.lower()


def normalised_code_word(text: str) -> str:
    """Case, accents written differently and extra spaces do not matter."""
    folded = " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())
    if len(folded) < 3 or len(folded) > 100:
        raise RouteInvalid(
            "Das Codewort muss 3 bis 100 Zeichen haben.",
            "The code word must have 3 to 100 characters.",
            field=CODE_WORD,
        )
    return folded


NORMALISERS = {PHONE: normalised_phone, EMAIL: normalised_email, CODE_WORD: normalised_code_word}


def readable(kind: str, value: str) -> str:
    """A stored (normalised) value as people read it: phone numbers grouped (``+49 171 1234567``)."""
    if kind != PHONE:
        return value
    number = phonenumbers.parse(value, DEFAULT_REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalised(kind: str, text: str) -> str:
    return NORMALISERS[kind](text)


def parse_index_keys(text: str) -> list[bytes]:
    """``LOTSE_INDEX_KEY``: one base64 key, or several separated by spaces or commas, the first the
    active one (the others only found by until ``lotse keys rotate --index`` recomputed their digests)."""
    return [base64.urlsafe_b64decode(entry) for entry in text.replace(",", " ").split()]


def fingerprint(key: bytes) -> str:
    """A short name of an index key, stored beside each digest (not a way to find the key)."""
    return hashlib.sha256(b"lotse index key:" + key).hexdigest()[:16]


def digest(key: bytes, kind: str, value: str) -> str:
    """The index entry of an already normalised value."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def digest_of(key: bytes, kind: str, text: str) -> str:
    """Normalise (RouteInvalid if impossible) and index."""
    return digest(key, kind, normalised(kind, text))


def guess_kind(text: str) -> str | None:
    """What a search text probably is: an e-mail address, a phone number, else None."""
    text = (text or "").strip()
    if "@" in text:
        return EMAIL
    digits = sum(character.isdigit() for character in text)
    if digits >= 6 and all(character.isdigit() or character in " +-/()." for character in text):
        return PHONE
    return None
