"""The inbox's tab counts, shared by the members of a team within this process and cleared on every change."""

from __future__ import annotations

from flask import current_app

from engine.inbox.shared_counts import SharedCounts


def shared_counts() -> SharedCounts:
    """The tab counts this process shares between the members of a team (see ``SharedCounts``)."""
    extensions = current_app.extensions
    if "lotse_inbox_counts" not in extensions:
        extensions["lotse_inbox_counts"] = SharedCounts(
            current_app.config.get("LOTSE_INBOX_COUNT_SECONDS", 5.0)
        )
    return extensions["lotse_inbox_counts"]
