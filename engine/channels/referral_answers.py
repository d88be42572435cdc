"""Warm handovers answered: the receiving service's reply lands in its referral's thread on the case page.

The handover e-mail's subject carries the reply token ``[Lotse R-<id>]`` and its Message-ID is the outbox
key ``referral-<id>-handover``; an incoming message naming either finds the referral (only of an open
case). Its thread shows whether the handover left the outbox ("wartet auf Versand" and why, never
"übergeben" before it did) and the answers, from which the counsellor marks the referral confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.channels.mail_intake import open_document
from engine.channels.mail_reading import text_of_html
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.referrals.delivery import deliveries
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
    # the sender's domain is not the one the handover went to ("Absender weicht ab"): a token in a subject
    # is easily copied, so such an answer confirms the handover only with an explicit extra confirmation
    sender_differs: bool = False
    expected_domain: str = ""


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
        outbox = deliveries(session, [r.id for r in referrals], mail_configured)
        answers = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.case_id == case_id, InboundMessage.referral_id.is_not(None))
            .order_by(InboundMessage.received_at, InboundMessage.id)
        ).all()
    threads = {}
    for referral in referrals:
        delivery = outbox[referral.id]
        domain = _domain(delivery.recipient)
        mine = tuple(_answer(ctx, row, domain) for row in answers if row.referral_id == referral.id)
        threads[referral.id] = ReferralThread(
            referral.id, delivery.state, delivery.why, mine, bool(mine) and referral.status in CONFIRMABLE
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
        answer = _answer(ctx, row, _handover_domain(session, referral_id))
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
    sender_checked: bool = False,
) -> None:
    """Mark a handed-over referral confirmed from the service's answer ``message_id`` (audited); an answer
    whose sender differs from the handover's recipient needs ``sender_checked`` (the counsellor has made
    sure by other means that it comes from the service)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = _answer_row(session, case_id, referral_id, message_id)
        if row is None:
            raise ConfirmationRefused(
                "Diese Nachricht ist keine Antwort auf die Übergabe dieser Vermittlung.",
                "This message is not an answer to this referral's handover.",
            )
        differs = _answer(ctx, row, _handover_domain(session, referral_id)).sender_differs
        if differs and not sender_checked:
            raise ConfirmationRefused(
                "Der Absender weicht von der Adresse ab, an die übergeben wurde. Bitte bestätigen Sie, "
                "dass Sie die Antwort auf anderem Weg geprüft haben.",
                "The sender differs from the address the handover went to. Please confirm that you "
                "have checked the answer by other means.",
                field="absender",
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
        checked = " (Absender abweichend, geprüft)" if differs else ""
        audit.record(
            session,
            now,
            actor.username,
            "referral_confirmed",
            case_id,
            f"R-{referral_id}: {message_id}{checked}",
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


def _answer(ctx: EngineContext, row: InboundMessage, expected_domain: str) -> ReferralAnswer:
    document = open_document(ctx, row)
    sender = document.get("from", "")
    return ReferralAnswer(
        row.id,
        row.received_at,
        sender,
        document.get("subject", ""),
        document.get("text") or text_of_html(document.get("html", "")),
        not expected_domain or _domain(sender) != expected_domain,
        expected_domain,
    )


def _domain(address: str) -> str:
    """The domain of an address (``Name <x@Example.org>`` → ``example.org``); empty without one."""
    found = parseaddr(address or "")[1]
    return found.rpartition("@")[2].strip().lower().rstrip(".") if "@" in found else ""


def _handover_domain(session: Session, referral_id: int) -> str:
    """The domain the referral's handover e-mail went to (the outbox keeps its recipient in clear)."""
    recipient = session.scalar(
        select(OutboxMessage.recipient).where(OutboxMessage.dedupe_key == handover_key(referral_id))
    )
    return _domain(recipient or "")
