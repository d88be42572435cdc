"""Warm handovers answered: the receiving service's reply lands in its referral's thread on the case page.

The handover e-mail's subject carries the reply token ``[Lotse R-<id>]`` and its Message-ID is the outbox
key ``referral-<id>-handover``; an incoming message naming either finds the referral (only of an open
case). Its thread shows whether the handover left the outbox ("wartet auf Versand" and why, never
"übergeben" before it did) and the answers, from which the counsellor marks the referral confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.channels.mail_intake import open_document
from engine.channels.mail_reading import text_of_html
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.referrals.handover import handover_key
from engine.store.channel_tables import InboundMessage
from engine.store.referral_tables import Referral
from engine.store.tables import OutboxMessage

CONFIRMABLE = ("handed_over",)


class ConfirmationRefused(DomainError):
    code = "referral_confirmation_refused"


@dataclass(frozen=True)
class ReferralAnswer:
    message_id: int
    at: datetime
    sender: str
    subject: str
    text: str


@dataclass(frozen=True)
class ReferralThread:
    referral_id: int
    delivery: str  # none (no handover e-mail), sent, waiting, dead
    why: str  # for waiting and dead: no_mail_server, retrying, queued, the server's answer
    answers: tuple[ReferralAnswer, ...]
    confirmable: bool


def referral_threads(
    ctx: EngineContext, actor: Actor, case_id: int, mail_configured: bool
) -> dict[int, ReferralThread]:
    """Per referral of the case: the handover e-mail's delivery and the service's answers, oldest first."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        referrals = session.execute(
            select(Referral.id, Referral.status).where(Referral.case_id == case_id)
        ).all()
        outbox = {
            row.dedupe_key: row
            for row in session.execute(
                select(
                    OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.attempts,
                    OutboxMessage.last_error,
                ).where(OutboxMessage.dedupe_key.in_([handover_key(r.id) for r in referrals]))
            )
        }  # fmt: skip
        answers = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.case_id == case_id, InboundMessage.referral_id.is_not(None))
            .order_by(InboundMessage.received_at, InboundMessage.id)
        ).all()
    threads = {}
    for referral in referrals:
        mail = outbox.get(handover_key(referral.id))
        delivery, why = _delivery(mail, mail_configured)
        mine = tuple(_answer(ctx, row) for row in answers if row.referral_id == referral.id)
        threads[referral.id] = ReferralThread(
            referral.id, delivery, why, mine, bool(mine) and referral.status in CONFIRMABLE
        )
    return threads


def referral_answer(
    ctx: EngineContext, actor: Actor, case_id: int, referral_id: int, message_id: int
) -> ReferralAnswer | None:
    """One answer of a referral's thread (for the confirmation page, the view audited); None when it is
    not one."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = _answer_row(session, case_id, referral_id, message_id)
        if row is None:
            return None
        answer = _answer(ctx, row)
        audit.record(session, now, actor.username, "message_viewed", case_id, str(message_id))
        session.commit()
    return answer


def confirm_referral(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    referral_id: int,
    message_id: int,
    now: datetime | None = None,
) -> None:
    """Mark a handed-over referral confirmed from the service's answer ``message_id`` (audited)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        if _answer_row(session, case_id, referral_id, message_id) is None:
            raise ConfirmationRefused(
                "Diese Nachricht ist keine Antwort auf die Übergabe dieser Vermittlung.",
                "This message is not an answer to this referral's handover.",
            )
        referral = session.get(Referral, referral_id)
        assert referral is not None
        if referral.status not in CONFIRMABLE:
            raise ConfirmationRefused(
                "Nur eine warm übergebene Vermittlung kann als bestätigt markiert werden.",
                "Only a referral that was handed over can be marked confirmed.",
            )
        referral.status = "confirmed"
        referral.updated_at = now
        referral.updated_by = actor.username
        audit.record(
            session, now, actor.username, "referral_confirmed", case_id, f"R-{referral_id}: {message_id}"
        )
        session.commit()


def _answer_row(session: Session, case_id: int, referral_id: int, message_id: int) -> InboundMessage | None:
    return session.scalars(
        select(InboundMessage).where(
            InboundMessage.id == message_id,
            InboundMessage.case_id == case_id,
            InboundMessage.referral_id == referral_id,
        )
    ).first()


def _answer(ctx: EngineContext, row: InboundMessage) -> ReferralAnswer:
    document = open_document(ctx, row)
    return ReferralAnswer(
        row.id,
        row.received_at,
        document.get("from", ""),
        document.get("subject", ""),
        document.get("text") or text_of_html(document.get("html", "")),
    )


def _delivery(mail, mail_configured: bool) -> tuple[str, str]:
    if mail is None:
        return "none", ""
    if mail.status == "sent":
        return "sent", ""
    if mail.status == "dead":
        return "dead", mail.last_error or ""
    if not mail_configured:
        return "waiting", "no_mail_server"
    return "waiting", "retrying" if mail.attempts else "queued"
