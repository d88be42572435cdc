"""Strafantrag deadlines (§ 77b StGB) and the reminders a counsellor gets before one runs out.

The three-month period begins at the end of the day the person learned of both the offence and the
offender (§ 77b Abs. 2 StGB) and ends, by §§ 187, 188 BGB, with the day of the third month that bears the
same number as that day, or the month's last day where it has none. A period ending on a Saturday, Sunday
or public holiday of the person's Land ends with the next working day (§ 77b Abs. 1 Satz 2 StGB).
Service closure days (24 and 31 December) are not public holidays and do not move a legal deadline.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.bpmn.clock import clock_at
from engine.bpmn.errors import ExecutionError
from engine.bpmn.instance import Instance
from engine.calendar.business_calendar import BERLIN, BusinessCalendar
from engine.cases.need_to_know import require_case_access
from engine.cases.step_failures import FailedStep, StepFailed, record_failure
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.kernel.message_content import session_vault
from engine.store.case_store import case_record, load_instance, remember, update_case
from engine.store.tables import StrafantragRow
from engine.strafantrag.offence_content import OffenceContent, open_offence, seal_offence

REMINDER_DAYS = (42, 70)
# Offences that are prosecuted only on a Strafantrag: the insult offences §§ 185–187 StGB (DOMAIN.md §2),
# with the German and English names shown to people.
OFFENCES = {
    "beleidigung": ("Beleidigung (§ 185 StGB)", "Insult (s. 185 StGB)"),
    "ueble_nachrede": ("Üble Nachrede (§ 186 StGB)", "Defamation (s. 186 StGB)"),
    "verleumdung": ("Verleumdung (§ 187 StGB)", "Intentional defamation (s. 187 StGB)"),
}
STATUSES = ("offen", "gestellt", "verzichtet")
MESSAGE = "strafantrag_frist"
RESULT_VARIABLE = "strafantrag"
REMINDER_STEPS = frozenset({"strafantrag_erinnerung_42", "strafantrag_erinnerung_70"})
REMINDER_HOUR = time(8, 0)  # reminders become tasks at 08:00 Berlin time on day 42 and day 70


class StrafantragInvalid(DomainError):
    code = "strafantrag_invalid"


class StrafantragImplausible(StrafantragInvalid):
    """The dates are possible but unlikely (the offender known before the offence): confirm or correct."""

    code = "strafantrag_implausible"


@dataclass(frozen=True)
class StrafantragClock:
    """The state of one offence's Strafantrag period."""

    offence: str
    started_on: date | None  # None: the offender is unknown, the period has not begun
    deadline: date | None
    moved_from: date | None  # the calendar end when a weekend or holiday moved it
    reminders: tuple[date, ...]

    @property
    def running(self) -> bool:
        return self.started_on is not None

    def days_left(self, today: date) -> int | None:
        return (self.deadline - today).days if self.deadline else None


def add_months(start: date, count: int) -> date:
    """The day of the month ``count`` months later with the same number, or that month's last day."""
    month_index = start.month - 1 + count
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, months.monthrange(year, month)[1]))


def strafantrag_clock(
    offence: str, learned_of_offence: date, learned_of_offender: date | None, land: str
) -> StrafantragClock:
    """The period for one offence; ``learned_of_offender=None`` means the offender is still unknown."""
    if learned_of_offender is None:
        return StrafantragClock(offence, None, None, None, ())
    started = max(learned_of_offence, learned_of_offender)
    calendar_end = add_months(started, 3)
    legal = BusinessCalendar(land=land, recurring_closures=())
    deadline = legal.next_working_day(calendar_end)
    reminders = tuple(started + timedelta(days=day) for day in REMINDER_DAYS)
    return StrafantragClock(
        offence, started, deadline, calendar_end if deadline != calendar_end else None, reminders
    )


# -- the register of offences on a case ----------------------------------------------------------


@dataclass(frozen=True)
class OffenceEntry:
    """One offence on the case page and the team-lead board."""

    id: int
    case_id: int
    offence: str
    learned_of_offence: date
    learned_of_offender: date | None
    deadline: date | None
    moved_from: date | None
    status: str
    reminders_started: bool

    @property
    def running(self) -> bool:
        return self.learned_of_offender is not None

    def days_left(self, today: date) -> int | None:
        return (self.deadline - today).days if self.deadline else None


def offence_label(offence: str, language: str = "de") -> str:
    """The offence as people call it, in German or English; an unknown code as it is."""
    names = OFFENCES.get(offence)
    return (names[0] if language == "de" else names[1]) if names else offence


def record_offence(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    offence: str,
    learned_of_offence: date | None,
    learned_of_offender: date | None,
    now: datetime | None = None,
    *,
    confirmed: bool = False,
) -> int:
    """Note an offence that needs a Strafantrag; when the offender is known, the reminders start at once.
    ``confirmed``: the person confirmed dates that look implausible (``StrafantragImplausible``)."""
    now = now or ctx.clock.now()
    today = now.astimezone(BERLIN).date()
    _check(offence, learned_of_offence, learned_of_offender, today, confirmed=confirmed)
    assert learned_of_offence is not None
    failed: tuple[ExecutionError, FailedStep] | None = None
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        case = case_record(session, case_id)
        if case.status != "open":
            raise _closed(case.reference or str(case_id))
        land = case.land or ctx.calendar.land
        period = strafantrag_clock(offence, learned_of_offence, learned_of_offender, land)
        offence_id = session.execute(
            insert(StrafantragRow).values(
                case_id=case_id,
                sealed=seal_offence(
                    ctx.vault,
                    case_id,
                    OffenceContent(offence, learned_of_offence, learned_of_offender, period.moved_from),
                ),
                land=land,
                deadline=period.deadline,
                status="offen",
                reminders_started=False,
                recorded_by=actor.username,
                recorded_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        audit.record(session, now, actor.username, "strafantrag_recorded", case_id, f"S-{offence_id}")
        try:
            instance = _start_reminders(ctx, session, case, int(offence_id), period, today, now)
        except ExecutionError as error:  # the model's reminder steps failed: nothing is stored
            failed = (error, FailedStep("strafantrag", case.process_version_id, case.id, case.lock_version))
        else:
            session.commit()
    if failed is not None:
        raise _step_failed(ctx, case.process_version_id, *failed, actor.username, now)
    if instance is not None:
        remember(ctx, case, instance)
    return int(offence_id)


def offender_identified(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    offence_id: int,
    learned_of_offender: date | None,
    now: datetime | None = None,
    *,
    confirmed: bool = False,
) -> None:
    """The person has learned who the offender is: the period starts and so do its reminders."""
    now = now or ctx.clock.now()
    today = now.astimezone(BERLIN).date()
    failed: tuple[ExecutionError, FailedStep] | None = None
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = session.scalar(
            select(StrafantragRow).where(StrafantragRow.id == offence_id, StrafantragRow.case_id == case_id)
        )
        if row is None:
            raise StrafantragInvalid(
                "Diese Strafantragsfrist gibt es in diesem Fall nicht.",
                "This Strafantrag period does not exist in this case.",
            )
        content = open_offence(ctx.vault, case_id, row.sealed)
        if content.learned_of_offender is not None:
            raise StrafantragInvalid(
                "Der Täter ist für diese Tat schon erfasst; die Frist läuft bereits.",
                "The offender is already recorded for this offence; the period is running.",
            )
        _check(
            content.offence,
            content.learned_of_offence,
            learned_of_offender,
            today,
            offender_required=True,
            confirmed=confirmed,
        )
        case = case_record(session, case_id)
        if case.status != "open":
            raise _closed(case.reference or str(case_id))
        period = strafantrag_clock(content.offence, content.learned_of_offence, learned_of_offender, row.land)
        row.sealed = seal_offence(
            ctx.vault,
            case_id,
            OffenceContent(
                content.offence, content.learned_of_offence, learned_of_offender, period.moved_from
            ),
        )
        row.deadline, row.updated_at = period.deadline, now
        audit.record(session, now, actor.username, "strafantrag_offender_known", case_id, f"S-{offence_id}")
        try:
            instance = _start_reminders(ctx, session, case, offence_id, period, today, now)
        except ExecutionError as error:  # the model's reminder steps failed: nothing is stored
            failed = (error, FailedStep("strafantrag", case.process_version_id, case.id, case.lock_version))
        else:
            session.commit()
    if failed is not None:
        raise _step_failed(ctx, case.process_version_id, *failed, actor.username, now)
    if instance is not None:
        remember(ctx, case, instance)


def case_offences(session: Session, case_id: int) -> list[OffenceEntry]:
    """The case's offences, opened with the unit of work's vault (purged rows are left out)."""
    rows = session.execute(
        select(*_ENTRY_COLUMNS)
        .where(StrafantragRow.case_id == case_id, StrafantragRow.sealed.is_not(None))
        .order_by(StrafantragRow.id)
    )
    vault = session_vault(session)
    entries = []
    for row in rows:
        content = open_offence(vault, case_id, row.sealed)
        entries.append(
            OffenceEntry(
                row.id,
                row.case_id,
                content.offence,
                content.learned_of_offence,
                content.learned_of_offender,
                row.deadline,
                content.moved_from,
                row.status,
                row.reminders_started,
            )
        )
    return entries


def note_reminder_outcome(
    session: Session, instance: Instance, task_id: str, element_id: str, now: datetime
) -> bool:
    """Carry a completed reminder's answer (filed, not yet, waived) over to the offence; False if none."""
    if element_id not in REMINDER_STEPS:
        return False
    step = next((s for s in instance.completed_steps() if s.id == task_id), None)
    payload: Any = step.data.get(RESULT_VARIABLE) if step else None
    state = step.data.get("strafantrag_stand") if step else None
    status = {"noch_nicht": "offen", "gestellt": "gestellt", "verzichtet": "verzichtet"}.get(str(state))
    if not isinstance(payload, dict) or status is None:
        return False
    session.execute(
        update(StrafantragRow)
        .where(StrafantragRow.id == payload.get("id"))
        .values(status=status, updated_at=now)
    )
    return True


_ENTRY_COLUMNS = (
    StrafantragRow.id,
    StrafantragRow.case_id,
    StrafantragRow.sealed,
    StrafantragRow.deadline,
    StrafantragRow.status,
    StrafantragRow.reminders_started,
)


def _check(
    offence: str,
    learned_of_offence: date | None,
    learned_of_offender: date | None,
    today: date,
    offender_required: bool = False,
    confirmed: bool = False,
) -> None:
    if offence not in OFFENCES:
        raise StrafantragInvalid(
            "Bitte wählen Sie eine Tat, die einen Strafantrag braucht.",
            "Please choose an offence that needs a Strafantrag.",
        )
    if learned_of_offence is None:
        raise StrafantragInvalid(
            "Bitte geben Sie an, wann die Person von der Tat erfahren hat.",
            "Please give the date the person learned of the offence.",
        )
    if offender_required and learned_of_offender is None:
        raise StrafantragInvalid(
            "Bitte geben Sie an, wann die Person vom Täter erfahren hat.",
            "Please give the date the person learned who the offender is.",
        )
    for moment in (learned_of_offence, learned_of_offender):
        if moment is not None and moment > today:
            raise StrafantragInvalid(
                "Ein Datum liegt in der Zukunft. Bitte prüfen Sie die Angaben.",
                "A date lies in the future. Please check what you entered.",
            )
    if learned_of_offender is not None and learned_of_offender < learned_of_offence and not confirmed:
        raise StrafantragImplausible(
            "Die Person soll den Täter vor der Tat gekannt haben "
            f"({learned_of_offender:%d.%m.%Y} vor {learned_of_offence:%d.%m.%Y}). Bitte prüfen Sie die Daten "
            "– oder bestätigen Sie, dass sie stimmen (die Frist beginnt mit der späteren Kenntnis).",
            "The person is said to have known the offender before the offence "
            f"({learned_of_offender:%d.%m.%Y} before {learned_of_offence:%d.%m.%Y}). Please check the dates "
            "– or confirm that they are right (the period starts with the later knowledge).",
            field="kenntnis_taeter",
        )


def _closed(reference: str) -> StrafantragInvalid:
    return StrafantragInvalid(
        f"Fall {reference} ist abgeschlossen; Fristen werden dort nicht mehr nachgehalten.",
        f"Case {reference} is closed; deadlines are no longer followed up there.",
    )


def _step_failed(
    ctx: EngineContext, version_id: int, error: ExecutionError, where: FailedStep, actor: str, now: datetime
) -> StepFailed:
    """Record the failure once the transaction is gone (SQLite's write lock with it)."""
    with ctx.unit_of_work(writes=False) as session:
        name = ctx.process(session, version_id).element_name(error.element_id)
    return record_failure(ctx, where, error, name, actor, now)


def _start_reminders(
    ctx: EngineContext,
    session: Session,
    case: Any,
    offence_id: int,
    period: StrafantragClock,
    today: date,
    now: datetime,
) -> Instance | None:
    """Send the model the message that starts the day-42 and day-70 reminders, if the period runs."""
    if period.deadline is None or period.deadline < today:
        return None  # not started yet, or already over: nothing left to remind of
    instance = load_instance(ctx, session, case)
    payload = {
        "id": offence_id,
        "delikt": OFFENCES[period.offence][0],
        "frist": period.deadline.isoformat(),
        **{
            f"erinnerung_{day}": datetime.combine(moment, REMINDER_HOUR, tzinfo=BERLIN).isoformat()
            for day, moment in zip(REMINDER_DAYS, period.reminders, strict=True)
        },
    }
    with clock_at(now):
        if not instance.deliver(MESSAGE, payload, RESULT_VARIABLE):
            return None  # a model without the Strafantrag sub-process: the period is listed, not reminded
        instance.advance()
    update_case(ctx, session, case, instance, now)
    session.execute(
        update(StrafantragRow).where(StrafantragRow.id == offence_id).values(reminders_started=True)
    )
    return instance
