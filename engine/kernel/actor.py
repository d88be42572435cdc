"""Who acts in a use case."""

from __future__ import annotations

from dataclasses import dataclass

TEAM_LEAD = "teamleitung"


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff username and the groups (roles) they belong to."""

    username: str
    groups: frozenset[str]
    covering: frozenset[str] = frozenset()  # the absent colleagues this person stands in for today

    @property
    def is_team_lead(self) -> bool:
        return TEAM_LEAD in self.groups
