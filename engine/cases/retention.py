"""The retention purge: closed (and discarded) cases past the retention period lose all identifying content.

Gone: the workflow state (every process variable, including party data), the notes, the bodies
of messages about the case, the notes of agreed appointments and the reasons for break-glass access,
for discarding and for legal holds. Kept: the case row's projected statistical attributes (coarsened
afterwards until no combination of Land, office type, period and referral has fewer than 5 purged cases,
``engine.cases.coarsening``), its task history (steps and times, no content) and the audit trail. A legal
hold stops the purge.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.cases.coarsening import coarsen_purged_cases
from engine.cases.instance_end import end_instance
from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.statistics.snapshots import take_snapshots
from engine.store.access_tables import Appointment, BreakGlassGrant, CaseDiscard
from engine.store.channel_tables import InboundMessage, PortalMailbox, SentReply
from engine.store.evidence_tables import ErasureRequest, EvidenceItem, LegalHoldChange
from engine.store.person_tables import CaseContact, CasePerson, ContactRoute
from engine.store.referral_tables import Referral
from engine.store.tables import Case, CaseNote, CasePurge, OutboxMessage, RiskAssessmentRow, StrafantragRow

DEFAULT_RETENTION_MONTHS = 24
PURGED_STATE = b""  # what a purged case keeps in its state column: nothing


@dataclass
class PurgeReport:
    dry_run: bool
    cutoff: datetime
    due: list[str] = field(default_factory=list)  # references that are (or would be) purged
    held: list[str] = field(default_factory=list)  # past retention, but under legal hold
    purged: list[str] = field(default_factory=list)
    coarsened: int = 0  # purged cases (of this run or earlier ones) whose values were coarsened now


# the statuses whose retention period runs from closed_at: a merged duplicate keeps its workflow state
# until its own period runs out; a discarded case too
ENDED = ("closed", "merged", "discarded")


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall time ``months`` calendar months earlier (the day clipped to the month's length)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def purge_expired_cases(
    ctx: EngineContext,
    now: datetime | None = None,
    *,
    months: int = DEFAULT_RETENTION_MONTHS,
    dry_run: bool = False,
    actor: str = "system",
) -> PurgeReport:
    """Purge (or with ``dry_run`` only list) the closed cases whose retention period has run out."""
    if months < 1:
        raise ValueError("The retention period must be at least one month.")
    now = now or ctx.clock.now()
    report = PurgeReport(dry_run=dry_run, cutoff=months_before(now, months))
    expired = (
        Case.status.in_(ENDED),
        Case.closed_at <= report.cutoff,
        Case.id.not_in(select(CasePurge.case_id)),
    )
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(Case.id, Case.reference, Case.legal_hold, Case.lock_version)
            .where(*expired)
            .order_by(Case.closed_at, Case.id)
        ).all()
    for case_id, reference, legal_hold, lock_version in rows:
        label = reference or str(case_id)
        if legal_hold:
            report.held.append(label)
            continue
        report.due.append(label)
        if not dry_run and _purge_one(ctx, case_id, lock_version, report.cutoff, now, months, actor):
            report.purged.append(label)
    if not dry_run:
        # the statistics of every ended month are kept first; then no purged case stands out (k >= 5)
        take_snapshots(ctx, now)
        report.coarsened = coarsen_purged_cases(ctx)
    return report


def _purge_one(
    ctx: EngineContext, case_id: int, seen: int, cutoff: datetime, now: datetime, months: int, actor: str
) -> bool:
    """One case, one transaction; nothing happens if the case changed or got a hold since it was read."""
    return empty_case(
        ctx, case_id, seen, now, actor, months, f"retention:{months}m", Case.closed_at <= cutoff
    )


def empty_case(
    ctx: EngineContext,
    case_id: int,
    seen: int,
    now: datetime,
    actor: str,
    months: int,
    label: str,
    *conditions: ColumnElement[bool],
    end_open: bool = False,
) -> bool:
    """Empty an ended case's content exactly as the purge does (also for an erasure on request, Art. 17):
    False if the case changed, is not ended, is under legal hold or was emptied already.

    With ``end_open`` an open case is emptied too: it is closed now and its workflow instance ends
    (``engine.cases.instance_end``) in the same transaction."""
    statuses = (*ENDED, "open") if end_open else ENDED
    with ctx.unit_of_work() as session:
        emptied = session.execute(
            update(Case)
            .where(
                Case.id == case_id,
                Case.lock_version == seen,
                Case.status.in_(statuses),
                Case.legal_hold.is_(False),
                *conditions,
            )
            .values(
                state=PURGED_STATE,
                lock_version=seen + 1,
                next_timer_at=None,
                updated_at=now,
                status=case((Case.status == "open", "closed"), else_=Case.status),
                closed_at=func.coalesce(Case.closed_at, now),
            )
        ).rowcount
        if emptied != 1:
            return False
        end_instance(session, case_id, now, actor)
        notes = session.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case_id))
        session.execute(delete(CaseNote).where(CaseNote.case_id == case_id))
        # messages still waiting were dropped with the instance; sent and dead ones keep their record
        session.execute(update(OutboxMessage).where(OutboxMessage.case_id == case_id).values(sealed=None))
        # the person: routes and particulars go; contacts keep channel, direction and time (statistics)
        session.execute(delete(ContactRoute).where(ContactRoute.case_id == case_id))
        session.execute(update(CasePerson).where(CasePerson.case_id == case_id).values(sealed=None))
        session.execute(update(CaseContact).where(CaseContact.case_id == case_id).values(sealed=None))
        # assessments keep proposal, rule and result (statistics); their answers and reasons go
        session.execute(
            update(RiskAssessmentRow).where(RiskAssessmentRow.case_id == case_id).values(sealed=b"")
        )
        session.execute(update(Appointment).where(Appointment.case_id == case_id).values(note=None))
        session.execute(update(BreakGlassGrant).where(BreakGlassGrant.case_id == case_id).values(reason=b""))
        session.execute(update(CaseDiscard).where(CaseDiscard.case_id == case_id).values(reason=b""))
        # evidence keeps its type, size and date (statistics); the file, preview and details go
        session.execute(
            update(EvidenceItem)
            .where(EvidenceItem.case_id == case_id)
            .values(content=None, preview=None, details=None)
        )
        session.execute(update(ErasureRequest).where(ErasureRequest.case_id == case_id).values(reason=None))
        session.execute(update(LegalHoldChange).where(LegalHoldChange.case_id == case_id).values(reason=None))
        # Strafantrag periods keep Land, deadline and status, referrals offer and status (statistics)
        session.execute(update(StrafantragRow).where(StrafantragRow.case_id == case_id).values(sealed=None))
        session.execute(update(Referral).where(Referral.case_id == case_id).values(sealed=None))
        # the conversation keeps channel, size, times and the raw message's hash; its content goes
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.case_id == case_id)
            .values(sealed=None, sealed_raw=None, discard_reason=None)
        )
        session.execute(update(SentReply).where(SentReply.case_id == case_id).values(sealed=b""))
        # the anonymous mailbox closes: its code and passphrase then open nothing, like any wrong pair
        session.execute(
            delete(PortalMailbox).where(
                PortalMailbox.first_message_id.in_(
                    select(InboundMessage.id).where(InboundMessage.case_id == case_id)
                )
            )
        )
        try:
            session.execute(
                insert(CasePurge).values(
                    case_id=case_id,
                    purged_at=now,
                    purged_by=actor,
                    retention_months=months,
                    notes_deleted=notes or 0,
                )
            )
        except IntegrityError:  # purged by another runner in the meantime
            return False
        audit.record(session, now, actor, "deleted", case_id, label)
        session.commit()
    ctx.instances.take(case_id, seen)  # forget a cached live instance of the case
    return True


class LegalHoldInvalid(DomainError):
    code = "legal_hold_invalid"


MAX_HOLD_REASON = 200  # the reason (a proceeding, a request): sealed; the audit event names its row


def hold_binding(case_id: int) -> bytes:
    return f"legal-hold:{case_id}".encode()


def set_legal_hold(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    hold: bool,
    now: datetime | None = None,
    *,
    reason: str,
) -> bool:
    """Put a case under legal hold (or release it) for a reason that is audited; team leads only.
    True if the flag changed."""
    if not actor.is_team_lead:
        raise NotPermitted("legal hold")
    reason = " ".join(reason.split())
    if not reason:
        raise LegalHoldInvalid(
            "Bitte geben Sie einen Grund an (z. B. das Verfahren oder die Anfrage); er wird protokolliert.",
            "Please give a reason (e.g. the proceedings or the request); it is recorded in the audit trail.",
        )
    if len(reason) > MAX_HOLD_REASON:
        raise LegalHoldInvalid(
            f"Der Grund ist zu lang (höchstens {MAX_HOLD_REASON} Zeichen).",
            f"The reason is too long (at most {MAX_HOLD_REASON} characters).",
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        if session.scalar(select(Case.id).where(Case.id == case_id)) is None:
            raise NotFound("Fall/Case", case_id)
        changed = session.execute(
            update(Case).where(Case.id == case_id, Case.legal_hold.is_(not hold)).values(legal_hold=hold)
        ).rowcount
        if changed:
            sealed = ctx.vault.seal(reason.encode(), hold_binding(case_id))
            change_id = session.execute(
                insert(LegalHoldChange).values(
                    case_id=case_id, changed_at=now, changed_by=actor.username, hold=hold, reason=sealed
                )
            ).inserted_primary_key[0]
            action = "legal_hold_set" if hold else "legal_hold_released"
            audit.record(session, now, actor.username, action, case_id, f"H-{change_id}")
        session.commit()
    return bool(changed)


def hold_reason(ctx: EngineContext, actor: Actor, case_id: int) -> str | None:
    """Why the legal hold stands (the reason given when it was set); None without a hold. Team leads only."""
    if not actor.is_team_lead:
        raise NotPermitted("legal hold")
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        row = session.execute(
            select(LegalHoldChange.hold, LegalHoldChange.reason)
            .where(LegalHoldChange.case_id == case_id)
            .order_by(LegalHoldChange.id.desc())
            .limit(1)
        ).first()
    if row is None or not row.hold or row.reason is None:
        return None
    return ctx.vault.open(row.reason, hold_binding(case_id)).decode()
