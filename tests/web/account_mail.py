"""Reading the account e-mails a test caused: the outbox rows of kind ``account``, opened with the test key."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.kernel.message_content import open_content
from engine.store.tables import OutboxMessage

LINK = re.compile(r"https?://\S+(/einladung/|/passwort/neu/)(\S+)")


def account_mails(ctx, recipient: str) -> list[str]:
    """The bodies of the account e-mails queued for ``staff:NAME``, oldest first."""
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.sealed)
            .where(OutboxMessage.kind == "account", OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        ).all()
    return [open_content(ctx.vault, row.id, recipient, row.sealed).body for row in rows]


def link_path(body: str) -> str:
    """The path of the single-use link in an e-mail (``/einladung/TOKEN``)."""
    found = LINK.search(body)
    assert found, "no link in the e-mail"
    return found.group(1) + found.group(2)
