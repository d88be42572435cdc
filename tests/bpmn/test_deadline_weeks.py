"""Whole weeks under the controllable clock, with the timer sweep running at every minute.

Each test drives a case through the shipped model by the real use cases, sweeps minute by minute over
the days in between and asserts the exact minutes at which a timer fired, so a deadline that fires a
minute late, on a holiday or at a weekend shows up. Due times were worked out by hand in the working time
of the NW calendar (Mon-Fri 09:00-16:00 Europe/Berlin; Thursday 4 June 2026 is Fronleichnam); AKUT
deadlines run in calendar time (DOMAIN.md §3, decision table ``fristen``). Berlin is on CEST (UTC+2).
Tasks that are not under test are completed well in time, so that chains added to them later change
nothing here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.cases.incidents import report_incident
from engine.deadlines.timer_sweep import sweep_timers
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext
from engine.store.tables import AuditEvent
from tests.bpmn.test_fallbearbeitung_paths import (
    ABSCHLUSS,
    EINGANG,
    LEVEL_ANSWERS,
    NO_RISK,
    VERMITTLUNG,
    assess,
    berlin,
    due,
    outbox,
    start,
    step,
)
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.steps import case_row, complete, open_tasks

MINUTE = timedelta(minutes=1)


def sweep_every_minute(
    ctx: EngineContext, clock: ManualClock, first: datetime, last: datetime, every: timedelta = MINUTE
) -> list[datetime]:
    """Sweep at every minute (or ``every``) from ``first`` to ``last`` inclusive; returns when a timer fired."""
    fired = []
    moment = first
    while moment <= last:
        clock.set(moment)
        report = sweep_timers(ctx, now=moment)
        assert (report.conflicts, report.failed) == (0, [])
        if report.fired:
            fired.append(moment)
        moment += every
    return fired


def audit_rows(ctx: EngineContext, case_id: int, action: str) -> list[tuple[datetime, str | None]]:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(AuditEvent.at, AuditEvent.detail)
            .where(AuditEvent.case_id == case_id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [(at, detail) for at, detail in rows]


def kinds_for(ctx: EngineContext, case_id: int, task_id: str) -> list[str]:
    """The outbox messages about one task (reminders name it in their key)."""
    return [m.kind for m in outbox(ctx, case_id) if task_id in m.dedupe_key]


# -- AKUT, opened on a Friday five minutes before the office closes ------------------------------------


def test_akut_case_opened_friday_1555_runs_in_calendar_time_over_the_weekend(deployed, clock):
    case_id = start(deployed, clock, berlin(2026, 6, 12, 15, 55))
    # the intake itself is working time: 5 minutes on Friday, 1 h 55 on Monday
    assert due(deployed, case_id) == {"eingang": berlin(2026, 6, 15, 10, 55)}
    clock.set(berlin(2026, 6, 12, 16, 5))
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**NO_RISK, **LEVEL_ANSWERS["AKUT"]})
    step(
        deployed,
        clock,
        case_id,
        "risikostufe_bestaetigen",
        {"risikostufe": "AKUT"},
        berlin(2026, 6, 12, 16, 10),
    )

    # AKUT: the 110 advice and the referral within one calendar hour, although the office has closed
    notruf = open_tasks(deployed, case_id)["akut_notruf"]
    assert (notruf.due_at, notruf.priority) == (berlin(2026, 6, 12, 17, 10), 100)
    step(
        deployed,
        clock,
        case_id,
        "akut_notruf",
        {"notruf_empfohlen": True, "notruf_hinweis_zeit": "2026-06-12"},
        berlin(2026, 6, 12, 16, 15),
    )
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"vermittlung", "teamleitung_informieren"}
    vermittlung = tasks["vermittlung"]
    assert (vermittlung.due_at, vermittlung.priority) == (berlin(2026, 6, 12, 17, 10), 90)
    # the team lead is informed the same day, by the end of Friday
    assert tasks["teamleitung_informieren"].due_at == berlin(2026, 6, 12, 23, 59, 59)
    step(
        deployed,
        clock,
        case_id,
        "teamleitung_informieren",
        {"kenntnisnahme": True},
        berlin(2026, 6, 12, 16, 30),
        actor=TEAM_LEAD,
    )

    # nobody refers: reminder at 17:10, escalation one calendar hour later, both on Friday evening
    fired = sweep_every_minute(deployed, clock, berlin(2026, 6, 12, 16, 31), berlin(2026, 6, 13, 9, 59))
    assert fired == [berlin(2026, 6, 12, 17, 10), berlin(2026, 6, 12, 18, 10)]
    assert kinds_for(deployed, case_id, vermittlung.id) == ["reminder"]
    assert audit_rows(deployed, case_id, "reminded") == [(berlin(2026, 6, 12, 17, 10), "vermittlung")]
    assert sorted(audit_rows(deployed, case_id, "escalated")) == [
        (berlin(2026, 6, 12, 18, 10), "eskalation_vermittlung"),
        (berlin(2026, 6, 12, 18, 10), "vermittlung"),
    ]
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"vermittlung", "eskalation_vermittlung"}
    assert tasks["vermittlung"].priority == 95
    # the team lead's review is due after two office hours: Monday 11:00
    assert (tasks["eskalation_vermittlung"].candidate_group, tasks["eskalation_vermittlung"].due_at) == (
        "teamleitung",
        berlin(2026, 6, 15, 11),
    )
    assert case_row(deployed, case_id).escalated is True

    # the referral happens on Saturday; the follow-up is due one working day later: Monday 16:00
    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 13, 10))
    # first comes the reminder of the team lead's own review (Monday 11:00), then the follow-up
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 15, 11)
    step(
        deployed,
        clock,
        case_id,
        "eskalation_vermittlung",
        {"eskalation_vermittlung_massnahme": "beratung_kontaktiert"},
        berlin(2026, 6, 15, 9, 30),
        actor=TEAM_LEAD,
    )
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 15, 16)

    # nothing fires over the weekend; the follow-up task appears Monday 16:00, due Tuesday 16:00
    fired = sweep_every_minute(deployed, clock, berlin(2026, 6, 13, 10, 1), berlin(2026, 6, 15, 16, 5))
    assert fired == [berlin(2026, 6, 15, 16)]
    assert due(deployed, case_id) == {"nachfassen": berlin(2026, 6, 16, 16)}

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 16, 10))
    # arbeitstage(5) from Tuesday: Wed 17, Thu 18, Fri 19, Mon 22, Tue 23
    assert due(deployed, case_id) == {"abschluss": berlin(2026, 6, 23, 16)}
    closed = berlin(2026, 6, 16, 11)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    row = case_row(deployed, case_id)
    assert (row.status, row.closed_at, row.escalated, row.next_timer_at) == ("closed", closed, True, None)
    assert sweep_every_minute(deployed, clock, closed, closed + timedelta(hours=6)) == []


# -- HOCH, opened the day before Fronleichnam ----------------------------------------------------------


def test_hoch_case_on_the_day_before_fronleichnam_skips_the_holiday_and_the_weekend(deployed, clock):
    case_id = start(deployed, clock, berlin(2026, 6, 3, 14))  # Wednesday
    assert due(deployed, case_id) == {"eingang": berlin(2026, 6, 3, 16)}  # two office hours, same day
    clock.set(berlin(2026, 6, 3, 14, 20))
    assess(deployed, case_id, "HOCH")

    # arbeitstage(1) from Wednesday: Thursday is Fronleichnam, so Friday 16:00
    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    assert (vermittlung.due_at, vermittlung.priority) == (berlin(2026, 6, 5, 16), 90)

    # nobody refers. Nothing fires on the holiday; the reminder comes at the due minute on Friday and
    # the escalation two office hours later, which is Monday 11:00 (not Friday 18:00, not the weekend)
    fired = sweep_every_minute(deployed, clock, berlin(2026, 6, 3, 14, 21), berlin(2026, 6, 8, 11, 5))
    assert fired == [berlin(2026, 6, 5, 16), berlin(2026, 6, 8, 11)]
    assert kinds_for(deployed, case_id, vermittlung.id) == ["reminder"]
    assert [at for at, detail in audit_rows(deployed, case_id, "escalated") if detail == "vermittlung"] == [
        berlin(2026, 6, 8, 11)
    ]
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"vermittlung", "eskalation_vermittlung"}
    assert (tasks["vermittlung"].id, tasks["vermittlung"].priority) == (vermittlung.id, 95)
    assert tasks["eskalation_vermittlung"].due_at == berlin(2026, 6, 8, 13)
    assert case_row(deployed, case_id).escalated is True

    step(
        deployed,
        clock,
        case_id,
        "eskalation_vermittlung",
        {"eskalation_vermittlung_massnahme": "beratung_kontaktiert"},
        berlin(2026, 6, 8, 11, 10),
        actor=TEAM_LEAD,
    )
    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 8, 11, 30))
    # follow-up arbeitstage(3) from Monday 8: Tue 9, Wed 10, Thu 11 June
    fired = sweep_every_minute(deployed, clock, berlin(2026, 6, 8, 11, 31), berlin(2026, 6, 11, 16, 5))
    assert fired == [berlin(2026, 6, 11, 16)]
    assert due(deployed, case_id) == {"nachfassen": berlin(2026, 6, 12, 16)}

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 12, 9, 15))
    closed = berlin(2026, 6, 12, 9, 45)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    row = case_row(deployed, case_id)
    assert (row.status, row.closed_at, row.risk_level) == ("closed", closed, "HOCH")


# -- a new incident raises NIEDRIG to HOCH ----------------------------------------------------------


def test_raised_level_fires_at_the_tightened_times_and_never_at_the_old_ones(deployed, clock):
    case_id = start(deployed, clock)  # Monday 1 June 10:00
    assess(deployed, case_id, "NIEDRIG")
    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    old_due = berlin(2026, 6, 16, 16)  # NIEDRIG: arbeitstage(10), Fronleichnam skipped
    assert vermittlung.due_at == old_due

    clock.set(berlin(2026, 6, 2, 10))
    report_incident(deployed, COUNSELLOR, case_id)
    complete(
        deployed,
        COUNSELLOR,
        case_id,
        "vorfall_erfassen",
        {**NO_RISK, **LEVEL_ANSWERS["HOCH"], "vorfall_beschreibung": "Steine gegen das Wohnhaus"},
    )
    complete(deployed, COUNSELLOR, case_id, "vorfall_risikostufe_bestaetigen", {"risikostufe": "HOCH"})
    assert due(deployed, case_id) == {"vermittlung": berlin(2026, 6, 3, 16)}  # HOCH: next working day

    # reminder Wednesday 16:00, escalation two office hours later: Friday 11:00 (Thursday is a holiday).
    # The referral stays open past the old NIEDRIG due time, which passes without anything firing.
    fired = sweep_every_minute(deployed, clock, berlin(2026, 6, 2, 10, 1), berlin(2026, 6, 5, 11, 5))
    assert fired == [berlin(2026, 6, 3, 16), berlin(2026, 6, 5, 11)]
    assert set(open_tasks(deployed, case_id)) == {"vermittlung", "eskalation_vermittlung"}
    step(
        deployed,
        clock,
        case_id,
        "eskalation_vermittlung",
        {"eskalation_vermittlung_massnahme": "beratung_kontaktiert"},
        berlin(2026, 6, 5, 11, 10),
        actor=TEAM_LEAD,
    )
    # every quarter hour across the eleven days, then every minute around the old due time
    quarter = timedelta(minutes=15)
    assert sweep_every_minute(deployed, clock, berlin(2026, 6, 5, 11, 15), old_due, every=quarter) == []
    assert sweep_every_minute(deployed, clock, old_due, old_due + timedelta(minutes=5)) == []
    assert [m.kind for m in outbox(deployed, case_id)] == ["reminder", "escalation"]
    assert list(open_tasks(deployed, case_id)) == ["vermittlung"]

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 17, 9))
    # HOCH follow-up: arbeitstage(3) from Wednesday 17: Thu 18, Fri 19, Mon 22 June
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 22, 16)
