"""Whether a warm handover's e-mail has left the outbox: told the same way wherever a referral shows.

A referral recorded as "handed_over" is only handed over once its e-mail was handed to the mail server;
until then it "wartet auf Versand", with why (no mail server configured, retrying, queued), and a dead
letter says so with the server's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.referrals.handover import handover_key
from engine.store.referral_tables import Referral
from engine.store.tables import OutboxMessage


@dataclass(frozen=True)
class Delivery:
    state: str  # none (no handover e-mail), sent, waiting, dead
    why: str = ""  # for waiting: no_mail_server, retrying, queued; for dead: the server's answer
    recipient: str = ""  # the service's address the handover went to


NO_MAIL = Delivery("none")


def delivery_of(mail, mail_configured: bool) -> Delivery:
    """From an outbox row's status, attempts, last error and recipient (or None: no handover e-mail)."""
    if mail is None:
        return NO_MAIL
    if mail.status == "sent":
        return Delivery("sent", "", mail.recipient)
    if mail.status == "dead":
        return Delivery("dead", mail.last_error or "", mail.recipient)
    if not mail_configured:
        return Delivery("waiting", "no_mail_server", mail.recipient)
    return Delivery("waiting", "retrying" if mail.attempts else "queued", mail.recipient)


def deliveries(session: Session, referral_ids: list[int], mail_configured: bool) -> dict[int, Delivery]:
    """The handover e-mail's delivery per referral (``NO_MAIL`` for one without)."""
    keys = {handover_key(referral_id): referral_id for referral_id in referral_ids}
    found = {
        keys[row.dedupe_key]: delivery_of(row, mail_configured)
        for row in session.execute(
            select(
                OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.attempts,
                OutboxMessage.last_error, OutboxMessage.recipient,
            ).where(OutboxMessage.dedupe_key.in_(list(keys)))
        )
    }  # fmt: skip
    return {referral_id: found.get(referral_id, NO_MAIL) for referral_id in referral_ids}


def case_deliveries(
    ctx: EngineContext, actor: Actor, case_id: int, mail_configured: bool
) -> dict[int, Delivery]:
    """The handover deliveries of every referral of a case (for the task page's referral panel)."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        ids = list(session.scalars(select(Referral.id).where(Referral.case_id == case_id)))
        return deliveries(session, ids, mail_configured)
