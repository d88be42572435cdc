"""A staff member as the rest of the system sees them (never the password hash)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffMember:
    """A signed-in or looked-up staff member: id, username, display name, roles, interface language."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    language: str
