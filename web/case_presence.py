"""The case page's panels that are known to be empty in this request (engine.cases.presence): the
partials that read their own rows skip the database for them."""

from __future__ import annotations

from flask import g


def remember_presence(case_id: int, present: frozenset[str]) -> None:
    """Called by the case page after reading the case file, before its partials render."""
    g.setdefault("case_presence", {})[case_id] = present


def known_empty(case_id: int, *panels: str) -> bool:
    """Whether the case file read in this request found no rows for any of ``panels``."""
    present = g.get("case_presence", {}).get(case_id)
    return present is not None and not any(panel in present for panel in panels)


def presence(case_id: int) -> frozenset[str] | None:
    """The panels with rows, if the case file was read in this request."""
    return g.get("case_presence", {}).get(case_id)
