"""The declared projection: which process variables may be copied, in clear, into which case columns.

Only short code values pass (letters, digits, underscores), so free text typed by a counsellor can
never leak into the unencrypted columns even if a model maps it by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.calendar.laender import GERMAN_LANDS

RISK_LEVELS = ("AKUT", "HOCH", "MITTEL", "NIEDRIG", "INFO")

CASE_PROJECTION: dict[str, str] = {
    "risk_level": "risikostufe",
    "land": "land",
    "office_type": "amt",
    "contact_channel": "kontaktkanal",
    "request_kind": "anliegen",  # "information" (not affected: information/prevention) or "beratung"
    "incident_types": "vorfallarten",  # a multiple choice: its codes, space-separated
    "incident_channel": "vorfallkanal",
    "request_topics": "anliegen_themen",  # a multiple choice: security, legal, psychosocial, information
}

_ALLOWED: dict[str, frozenset[str] | None] = {
    "risk_level": frozenset(RISK_LEVELS),
    "land": GERMAN_LANDS,
    "office_type": None,
    "contact_channel": None,
    "request_kind": frozenset({"information", "beratung"}),
    "incident_types": None,
    "incident_channel": None,
    "request_topics": None,
}
_MULTIPLE = frozenset({"incident_types", "request_topics"})
_CODE = re.compile(r"^[A-Za-z0-9_]{1,40}$")
_CODES = re.compile(r"^[A-Za-z0-9_]{1,40}( [A-Za-z0-9_]{1,40})*$")


def projected_attributes(variables: Mapping[str, Any]) -> dict[str, str]:
    """The case columns to set from these variables; unknown or non-code values are left out."""
    columns: dict[str, str] = {}
    for column, variable in CASE_PROJECTION.items():
        value = _codes(variables.get(variable))
        if isinstance(value, str) and (_CODES if column in _MULTIPLE else _CODE).match(value):
            allowed = _ALLOWED[column]
            if allowed is None or value in allowed:
                columns[column] = value
    return columns


def _codes(value: Any) -> Any:
    """A multiple choice (a list of codes) as one space-separated value within the column's 200 characters."""
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, str) and _CODE.match(v) for v in value)
    ):
        joined = " ".join(sorted(set(value)))
        return joined if len(joined) <= 200 else None
    return value
