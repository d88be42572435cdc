"""Tab counts shared by the members of a team within one process, for a few seconds."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any


class SharedCounts:
    """Tab counts that are the same for everyone with the same groups, kept for a few seconds.

    "Meine Gruppen", "Überfällig" of the groups and the team leads' "Alle offenen" count thousands of
    index entries and are identical for a whole team, so one process answers them at most every
    ``ttl`` seconds, and so the totals of these tabs under a filter; a person's own counts ("Meine
    Aufgaben", and their part of "Überfällig") are always read fresh, and an action in this process
    (claim, release, complete) forgets the cache at once.
    """

    MAX_ENTRIES = 5_000  # filters make many keys: beyond this, expired entries go, then all

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = timedelta(seconds=ttl)
        self._entries: dict[tuple[Any, ...], tuple[datetime, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], now: datetime) -> dict[str, int] | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or not entry[0] - self.ttl <= now < entry[0]:  # expired, or the clock went back
            return None
        return entry[1]

    def put(self, key: tuple[Any, ...], counts: dict[str, int], now: datetime) -> None:
        if not self.ttl:
            return
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                fresh = {k: entry for k, entry in self._entries.items() if now < entry[0]}
                self._entries = fresh if len(fresh) < self.MAX_ENTRIES else {}
            self._entries[key] = (now + self.ttl, counts)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
