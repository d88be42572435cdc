"""The sealed part of a Strafantrag row: the offence and the dates the person learned of it and of the
offender (and the calendar end a weekend or holiday moved), one ciphertext bound to the case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from engine.store.vault import Vault


def offence_binding(case_id: int) -> bytes:
    return f"strafantrag:{case_id}".encode()


@dataclass(frozen=True)
class OffenceContent:
    offence: str
    learned_of_offence: date
    learned_of_offender: date | None
    moved_from: date | None


def seal_offence(vault: Vault, case_id: int, content: OffenceContent) -> bytes:
    document = {
        "offence": content.offence,
        "learned_of_offence": content.learned_of_offence.isoformat(),
        "learned_of_offender": _iso(content.learned_of_offender),
        "moved_from": _iso(content.moved_from),
    }
    return vault.seal(json.dumps(document).encode(), offence_binding(case_id))


def open_offence(vault: Vault, case_id: int, sealed: bytes | None) -> OffenceContent:
    """The clear content (VaultError if the key is unknown or the ciphertext altered); a purged row's
    content is empty."""
    if not sealed:
        return OffenceContent("", date.min, None, None)
    document = json.loads(vault.open(sealed, offence_binding(case_id)))
    return OffenceContent(
        document["offence"],
        date.fromisoformat(document["learned_of_offence"]),
        _day(document.get("learned_of_offender")),
        _day(document.get("moved_from")),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
