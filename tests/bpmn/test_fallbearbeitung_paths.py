"""The shipped Fallbearbeitung model, path by path, on SQLite and PostgreSQL.

Cases are driven only through the real use cases (open_case, complete_task via tests.steps, sweep_timers)
under the controllable clock. Every deadline below was computed by hand in working time: office hours
Mon-Fri 09:00-16:00 Europe/Berlin, NW holidays (Fronleichnam on Thursday 2026-06-04), and
arbeitstage(n) = 16:00 of the n-th working day after today. Berlin is on CEST (UTC+2) throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.calendar.business_calendar import BERLIN
from engine.cases.incidents import report_incident
from engine.cases.lifecycle import open_case
from engine.deadlines.timer_sweep import SweepReport, sweep_timers
from engine.demo.seed import EINGANG as DEMO_EINGANG
from engine.demo.seed import RISIKO_NEUTRAL
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext
from engine.kernel.errors import IncidentNotAccepted
from engine.store.tables import AuditEvent, OutboxMessage, Task
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.steps import case_facts, case_facts_on_tasks, case_row, complete, open_tasks, stored_variables

EINGANG = {**DEMO_EINGANG, "amt": "ratsmitglied"}
NO_RISK = {**RISIKO_NEUTRAL, "angst_selbsteinschaetzung": 2}
# Answers on top of NO_RISK that make the DMN table suggest each level (INFO also needs "kein_vorfall").
LEVEL_ANSWERS: dict[str, dict[str, Any]] = {
    "AKUT": {"akute_gefahr": True},
    "HOCH": {"koerperlicher_angriff_30_tage": True},
    "MITTEL": {"nachstellung": True},
    "NIEDRIG": {},
    "INFO": {},
}
VERMITTLUNG = {"vermittlungsziele": ["polizei_ansprechstelle"], "schutzmassnahmen": ["beweissicherung"]}
ABSCHLUSS = {"abschlussgrund": "hilfe_vermittelt", "ergebnisse": ["anzeige_erstattet"]}


# -- helpers ---------------------------------------------------------------------------------------


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant given as Europe/Berlin wall time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def start(ctx: EngineContext, clock: ManualClock, when: datetime | None = None) -> int:
    if when is not None:
        clock.set(when)
    return open_case(ctx, COUNSELLOR).case_id


def step(
    ctx: EngineContext,
    clock: ManualClock,
    case_id: int,
    element_id: str,
    values: Mapping[str, Any],
    when: datetime,
    actor: Actor = COUNSELLOR,
) -> None:
    """Move the clock to ``when`` and complete the open task ``element_id`` (case reloaded from the DB)."""
    clock.set(when)
    complete(ctx, actor, case_id, element_id, values)


def sweep(ctx: EngineContext, clock: ManualClock, when: datetime) -> SweepReport:
    clock.set(when)
    return sweep_timers(ctx, now=when)


def estimate(
    ctx: EngineContext, case_id: int, answers: Mapping[str, Any], kein_vorfall: bool = False
) -> None:
    """Complete the intake and the risk questions; the DMN table then suggests a level."""
    vorfallarten = ["kein_vorfall"] if kein_vorfall else ["bedrohung"]
    complete(ctx, COUNSELLOR, case_id, "eingang", {**EINGANG, "vorfallarten": vorfallarten})
    complete(ctx, COUNSELLOR, case_id, "risikoeinschaetzung", {**NO_RISK, **answers})


def assess(ctx: EngineContext, case_id: int, level: str) -> None:
    """Intake, risk questions for which the table suggests ``level``, and confirmation of that level."""
    estimate(ctx, case_id, LEVEL_ANSWERS[level], kein_vorfall=level == "INFO")
    complete(ctx, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": level})


def due(ctx: EngineContext, case_id: int) -> dict[str, datetime | None]:
    """Due instant of every open task, by element id."""
    return {element: row.due_at for element, row in open_tasks(ctx, case_id).items()}


def task_history(ctx: EngineContext, case_id: int) -> list[tuple[str, str]]:
    """(element id, status) of every task row the case ever had, sorted."""
    with ctx.unit_of_work() as session:
        rows = session.scalars(select(Task).where(Task.case_id == case_id)).all()
    return sorted((row.element_id, row.status) for row in rows)


def outbox(ctx: EngineContext, case_id: int) -> list[OutboxMessage]:
    with ctx.unit_of_work() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all())


def audit_actions(ctx: EngineContext, case_id: int) -> list[str]:
    with ctx.unit_of_work() as session:
        return list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
            ).all()
        )


def assert_closed_at(ctx: EngineContext, case_id: int, when: datetime) -> None:
    row = case_row(ctx, case_id)
    assert (row.status, row.closed_at, row.next_timer_at) == ("closed", when, None)
    assert open_tasks(ctx, case_id) == {}


# -- 1. the DMN table --------------------------------------------------------------------------------

DMN_CASES = [
    pytest.param({"akute_gefahr": True}, False, "AKUT", "R1", id="R1-akute-gefahr"),
    pytest.param(
        {
            "akute_gefahr": True,
            "koerperlicher_angriff_30_tage": True,
            "pathway_oder_last_resort": True,
            "drohung_leib_leben": True,
            "privatsphaere_exponiert": True,
            "nachstellung": True,
            "warnverhalten_anzahl": 8,
            "angst_selbsteinschaetzung": 10,
        },
        True,
        "AKUT",
        "R1",
        id="R1-first-match-over-everything",
    ),
    pytest.param({"koerperlicher_angriff_30_tage": True}, False, "HOCH", "R2", id="R2-angriff"),
    pytest.param(
        {"koerperlicher_angriff_30_tage": True, "pathway_oder_last_resort": True, "nachstellung": True},
        False,
        "HOCH",
        "R2",
        id="R2-before-R3-and-R6",
    ),
    pytest.param({"pathway_oder_last_resort": True}, False, "HOCH", "R3", id="R3-pathway"),
    pytest.param({"warnverhalten_anzahl": 2}, False, "HOCH", "R3", id="R3-two-warning-behaviours"),
    pytest.param(
        {"warnverhalten_anzahl": 8, "drohung_leib_leben": True}, False, "HOCH", "R3", id="R3-before-R5"
    ),
    pytest.param(
        {"drohung_leib_leben": True, "privatsphaere_exponiert": True},
        False,
        "HOCH",
        "R4",
        id="R4-threat-exposed",
    ),
    pytest.param({"drohung_leib_leben": True}, False, "MITTEL", "R5", id="R5-threat"),
    pytest.param(
        {"drohung_leib_leben": True, "nachstellung": True, "angst_selbsteinschaetzung": 9},
        False,
        "MITTEL",
        "R5",
        id="R5-before-R6-and-R7",
    ),
    pytest.param({"nachstellung": True}, False, "MITTEL", "R6", id="R6-stalking"),
    pytest.param({"privatsphaere_exponiert": True}, False, "MITTEL", "R6", id="R6-exposed"),
    pytest.param({"warnverhalten_anzahl": 1}, False, "MITTEL", "R6", id="R6-one-warning-behaviour"),
    pytest.param({"nachstellung": True}, True, "MITTEL", "R6", id="R6-before-R9"),
    pytest.param({"angst_selbsteinschaetzung": 0}, True, "INFO", "R9", id="R9-kein-vorfall"),
    pytest.param({"angst_selbsteinschaetzung": 9}, True, "INFO", "R9", id="R9-before-R7"),
    pytest.param({"angst_selbsteinschaetzung": 7}, False, "MITTEL", "R7", id="R7-fear-7"),
    pytest.param({"angst_selbsteinschaetzung": 10}, False, "MITTEL", "R7", id="R7-fear-10"),
    pytest.param({"angst_selbsteinschaetzung": 6}, False, "NIEDRIG", "R8", id="R8-fear-6"),
    pytest.param({"angst_selbsteinschaetzung": 0}, False, "NIEDRIG", "R8", id="R8-nothing"),
]


@pytest.mark.parametrize(("answers", "kein_vorfall", "level", "rule"), DMN_CASES)
def test_risk_table_suggests_level_and_rule(deployed, answers, kein_vorfall, level, rule):
    case_id = open_case(deployed, COUNSELLOR).case_id
    estimate(deployed, case_id, answers, kein_vorfall=kein_vorfall)

    variables = stored_variables(deployed, case_id)
    assert (variables["risikostufe_vorschlag"], variables["risikoregel"]) == (level, rule)
    assert variables["risikostufe"] == level  # pre-filled for the confirmation form
    assert case_row(deployed, case_id).risk_level == level
    confirmation = open_tasks(deployed, case_id)
    assert list(confirmation) == ["risikostufe_bestaetigen"]
    assert confirmation["risikostufe_bestaetigen"].priority == (90 if level in ("AKUT", "HOCH") else 50)


# -- 2. every level end to end --------------------------------------------------------------------


def test_info_case_offers_prevention_and_closes(deployed, clock):
    case_id = start(deployed, clock)
    assert due(deployed, case_id) == {"eingang": berlin(2026, 6, 1, 12)}  # 10:00 + 2 office hours
    assess(deployed, case_id, "INFO")
    variables = stored_variables(deployed, case_id)
    assert (variables["risikostufe_vorschlag"], variables["risikoregel"]) == ("INFO", "R9")

    # arbeitstage(3) from Monday: Tue 2, Wed 3, (Thu 4 Fronleichnam), Fri 5
    assert due(deployed, case_id) == {"praevention": berlin(2026, 6, 5, 16)}
    row = case_row(deployed, case_id)
    # the only timer is the prevention step's own reminder at its due time
    assert (row.risk_level, row.status, row.next_timer_at) == ("INFO", "open", berlin(2026, 6, 5, 16))

    step(
        deployed,
        clock,
        case_id,
        "praevention",
        {"material": ["auskunftssperre_info"]},
        berlin(2026, 6, 1, 11),
    )
    # arbeitstage(5) from Monday: Tue 2, Wed 3, Fri 5, Mon 8, Tue 9
    assert due(deployed, case_id) == {"abschluss": berlin(2026, 6, 9, 16)}

    closed = berlin(2026, 6, 1, 11, 30)
    step(deployed, clock, case_id, "abschluss", {"abschlussgrund": "nur_information"}, closed)
    assert_closed_at(deployed, case_id, closed)
    assert task_history(deployed, case_id) == [
        ("abschluss", "completed"),
        ("eingang", "completed"),
        ("praevention", "completed"),
        ("risikoeinschaetzung", "completed"),
        ("risikostufe_bestaetigen", "completed"),
    ]


def test_niedrig_case_follows_up_after_thirty_calendar_days(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "NIEDRIG")
    assert stored_variables(deployed, case_id)["risikoregel"] == "R8"

    # arbeitstage(10) from Mon 1 June: 2, 3, 5, 8, 9, 10, 11, 12, 15, 16 June
    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    assert (vermittlung.due_at, vermittlung.priority) == (berlin(2026, 6, 16, 16), 50)
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 16, 16)

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 3, 10))
    follow_up = berlin(2026, 7, 3, 10)  # kalendertage(30): same wall time 30 days later
    row = case_row(deployed, case_id)
    assert (row.next_timer_at, row.risk_level) == (follow_up, "NIEDRIG")
    assert open_tasks(deployed, case_id) == {}

    assert sweep(deployed, clock, follow_up - timedelta(seconds=1)).fired == 0
    assert open_tasks(deployed, case_id) == {}
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    nachfassen = open_tasks(deployed, case_id)["nachfassen"]
    assert (nachfassen.due_at, nachfassen.priority) == (berlin(2026, 7, 6, 16), 50)  # Fri 3 -> Mon 6 July

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 7, 6, 9, 30))
    assert due(deployed, case_id) == {"abschluss": berlin(2026, 7, 13, 16)}  # 7, 8, 9, 10, 13 July
    closed = berlin(2026, 7, 6, 10)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert {status for _, status in task_history(deployed, case_id)} == {"completed"}


def test_mittel_case_vermittlung_nachfassen_abschluss(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    assert stored_variables(deployed, case_id)["risikoregel"] == "R6"

    # arbeitstage(3) from Monday skips Fronleichnam: Tue 2, Wed 3, Fri 5
    assert due(deployed, case_id) == {"vermittlung": berlin(2026, 6, 5, 16)}
    assert case_row(deployed, case_id).risk_level == "MITTEL"

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 2, 11))
    # arbeitstage(10) from Tue 2 June: 3, 5, 8, 9, 10, 11, 12, 15, 16, 17 June
    follow_up = berlin(2026, 6, 17, 16)
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert sweep(deployed, clock, follow_up - timedelta(seconds=1)).fired == 0
    assert open_tasks(deployed, case_id) == {}
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    assert due(deployed, case_id) == {"nachfassen": berlin(2026, 6, 18, 16)}

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "teilweise"}, berlin(2026, 6, 18, 10))
    assert list(open_tasks(deployed, case_id)) == ["abschluss"]
    closed = berlin(2026, 6, 18, 11)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert task_history(deployed, case_id) == [
        ("abschluss", "completed"),
        ("eingang", "completed"),
        ("nachfassen", "completed"),
        ("risikoeinschaetzung", "completed"),
        ("risikostufe_bestaetigen", "completed"),
        ("vermittlung", "completed"),
    ]


def test_hoch_case_deadlines_and_follow_up_timer(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "HOCH")
    assert stored_variables(deployed, case_id)["risikoregel"] == "R2"

    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    assert (vermittlung.due_at, vermittlung.priority) == (berlin(2026, 6, 2, 16), 90)  # next working day
    row = case_row(deployed, case_id)
    assert (row.risk_level, row.next_timer_at) == ("HOCH", berlin(2026, 6, 2, 16))

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 2, 14))
    follow_up = berlin(2026, 6, 8, 16)  # arbeitstage(3) from Tue 2: Wed 3, Fri 5, Mon 8
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert open_tasks(deployed, case_id) == {}

    assert sweep(deployed, clock, follow_up - timedelta(seconds=1)).fired == 0
    assert open_tasks(deployed, case_id) == {}
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    nachfassen = open_tasks(deployed, case_id)["nachfassen"]
    assert (nachfassen.due_at, nachfassen.priority) == (berlin(2026, 6, 9, 16), 90)
    assert stored_variables(deployed, case_id)["frist_nachfassen_bearbeitung"] == "2026-06-09T16:00:00+02:00"
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 9, 16)  # its overdue boundary timer

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 9, 10))
    # arbeitstage(5) from Tue 9: 10, 11, 12, 15, 16 June
    assert due(deployed, case_id) == {"abschluss": berlin(2026, 6, 16, 16)}
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 16, 16)  # its reminder
    closed = berlin(2026, 6, 9, 11)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert not case_row(deployed, case_id).escalated
    assert outbox(deployed, case_id) == []


def test_akut_case_runs_both_branches_before_closing(deployed, clock):
    case_id = start(deployed, clock)
    estimate(deployed, case_id, LEVEL_ANSWERS["AKUT"])
    confirmed = berlin(2026, 6, 1, 10, 15)
    step(deployed, clock, case_id, "risikostufe_bestaetigen", {"risikostufe": "AKUT"}, confirmed)

    notruf = open_tasks(deployed, case_id)["akut_notruf"]
    assert (notruf.due_at, notruf.priority, notruf.candidate_group) == (
        berlin(2026, 6, 1, 11, 15),
        100,
        "beratung",
    )
    assert list(open_tasks(deployed, case_id)) == ["akut_notruf"]
    assert case_row(deployed, case_id).risk_level == "AKUT"

    step(
        deployed,
        clock,
        case_id,
        "akut_notruf",
        {"notruf_empfohlen": True, "notruf_hinweis_zeit": "2026-06-01"},
        berlin(2026, 6, 1, 10, 30),
    )
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"teamleitung_informieren", "vermittlung"}
    informieren = tasks["teamleitung_informieren"]
    assert (informieren.candidate_group, informieren.due_at, informieren.priority) == (
        "teamleitung",
        berlin(2026, 6, 1, 23, 59, 59),
        100,
    )
    # the mediation deadline was fixed at confirmation: one calendar hour after 10:15
    assert (tasks["vermittlung"].due_at, tasks["vermittlung"].priority) == (berlin(2026, 6, 1, 11, 15), 90)
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 1, 11, 15)

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 1, 10, 50))
    follow_up = berlin(2026, 6, 2, 16)  # arbeitstage(1)
    assert set(open_tasks(deployed, case_id)) == {"teamleitung_informieren"}
    # the team lead's end-of-day deadline comes first: reminder at 23:59:59, escalation after 2 office hours
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 1, 23, 59, 59)
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    tasks = due(deployed, case_id)
    assert set(tasks) == {"teamleitung_informieren", "eskalation_teamleitung_informieren", "nachfassen"}
    assert tasks["nachfassen"] == berlin(2026, 6, 3, 16)
    assert "escalated" in audit_actions(deployed, case_id)

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 3, 10))
    # arbeitstage(5) from Wed 3: Fri 5, Mon 8, Tue 9, Wed 10, Thu 11
    assert due(deployed, case_id)["abschluss"] == berlin(2026, 6, 11, 16)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, berlin(2026, 6, 3, 11))

    # the team-lead branch is still open: the case is not closed yet
    row = case_row(deployed, case_id)
    assert (row.status, row.closed_at) == ("open", None)
    assert set(open_tasks(deployed, case_id)) == {
        "teamleitung_informieren",
        "eskalation_teamleitung_informieren",
    }

    ack = {"kenntnisnahme": True}
    step(
        deployed, clock, case_id, "teamleitung_informieren", ack, berlin(2026, 6, 3, 11, 30), actor=TEAM_LEAD
    )
    assert case_row(deployed, case_id).status == "open"  # the escalation is still to be checked
    closed = berlin(2026, 6, 3, 12)
    checked = {"eskalation_teamleitung_informieren_massnahme": "verzoegerung_vertretbar"}
    step(deployed, clock, case_id, "eskalation_teamleitung_informieren", checked, closed, actor=TEAM_LEAD)
    assert_closed_at(deployed, case_id, closed)
    assert case_row(deployed, case_id).risk_level == "AKUT"
    assert task_history(deployed, case_id) == [
        ("abschluss", "completed"),
        ("akut_notruf", "completed"),
        ("eingang", "completed"),
        ("eskalation_teamleitung_informieren", "completed"),
        ("nachfassen", "completed"),
        ("risikoeinschaetzung", "completed"),
        ("risikostufe_bestaetigen", "completed"),
        ("teamleitung_informieren", "completed"),
        ("vermittlung", "completed"),
    ]


def test_akut_case_closes_with_abschluss_when_team_lead_acknowledged_first(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "AKUT")
    notruf = {"notruf_empfohlen": True, "notruf_hinweis_zeit": "2026-06-01"}
    step(deployed, clock, case_id, "akut_notruf", notruf, berlin(2026, 6, 1, 10, 5))
    ack = {"kenntnisnahme": True}
    step(
        deployed, clock, case_id, "teamleitung_informieren", ack, berlin(2026, 6, 1, 10, 10), actor=TEAM_LEAD
    )
    assert due(deployed, case_id) == {"vermittlung": berlin(2026, 6, 1, 11)}  # confirmed at 10:00 + 1 h

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 1, 10, 45))
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 2, 16)
    assert sweep(deployed, clock, berlin(2026, 6, 2, 16, 0, 1)).fired == 1
    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 3, 9))
    closed = berlin(2026, 6, 3, 9, 30)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    row = case_row(deployed, case_id)
    assert (row.risk_level, row.escalated) == ("AKUT", False)


# -- 3. the counsellor overrides the suggestion ---------------------------------------------------


def test_counsellor_override_to_hoch_applies_hoch_deadlines(deployed, clock):
    case_id = start(deployed, clock)
    estimate(deployed, case_id, LEVEL_ANSWERS["NIEDRIG"])
    assert stored_variables(deployed, case_id)["risikostufe_vorschlag"] == "NIEDRIG"
    assert open_tasks(deployed, case_id)["risikostufe_bestaetigen"].priority == 50

    reason = "Person berichtet von Fotos ihres Hauses in einer Chatgruppe."
    complete(
        deployed,
        COUNSELLOR,
        case_id,
        "risikostufe_bestaetigen",
        {"risikostufe": "HOCH", "abweichung_begruendung": reason},
    )

    variables = stored_variables(deployed, case_id)
    assert (variables["risikostufe"], variables["risikostufe_vorschlag"], variables["risikoregel"]) == (
        "HOCH",
        "NIEDRIG",
        "R8",
    )
    assert variables["risiko_ueberschrieben"] is True
    assert variables["abweichung_begruendung"] == reason
    assert case_row(deployed, case_id).risk_level == "HOCH"
    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    assert (vermittlung.due_at, vermittlung.priority) == (berlin(2026, 6, 2, 16), 90)  # not 16 June (NIEDRIG)

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 1, 15))
    follow_up = berlin(2026, 6, 5, 16)  # HOCH arbeitstage(3) from Mon 1: Tue 2, Wed 3, Fri 5 (not +30 days)
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    nachfassen = open_tasks(deployed, case_id)["nachfassen"]
    assert (nachfassen.due_at, nachfassen.priority) == (berlin(2026, 6, 8, 16), 90)

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 8, 9))
    closed = berlin(2026, 6, 8, 9, 30)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert case_row(deployed, case_id).risk_level == "HOCH"


# -- 4. the follow-up loop ------------------------------------------------------------------------


def test_help_not_arrived_loops_back_to_a_new_vermittlung(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    first = open_tasks(deployed, case_id)["vermittlung"]
    assert first.due_at == berlin(2026, 6, 5, 16)

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 2, 10))
    assert sweep(deployed, clock, berlin(2026, 6, 17, 16, 0, 1)).fired == 1
    first_nachfassen = open_tasks(deployed, case_id)["nachfassen"]
    assert first_nachfassen.due_at == berlin(2026, 6, 18, 16)

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "nein"}, berlin(2026, 6, 18, 10))
    second = open_tasks(deployed, case_id)["vermittlung"]
    assert list(open_tasks(deployed, case_id)) == ["vermittlung"]
    assert second.id != first.id
    # new MITTEL deadline computed at loop time: arbeitstage(3) from Thu 18: Fri 19, Mon 22, Tue 23
    assert second.due_at == berlin(2026, 6, 23, 16)
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 23, 16)
    assert stored_variables(deployed, case_id)["frist_vermittlung"] == "2026-06-23T16:00:00+02:00"

    step(
        deployed,
        clock,
        case_id,
        "vermittlung",
        {"vermittlungsziele": ["opferberatung"]},
        berlin(2026, 6, 19, 10),
    )
    # arbeitstage(10) from Fri 19: 22, 23, 24, 25, 26, 29, 30 June, 1, 2, 3 July
    follow_up = berlin(2026, 7, 3, 16)
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    second_nachfassen = open_tasks(deployed, case_id)["nachfassen"]
    assert second_nachfassen.id != first_nachfassen.id
    assert second_nachfassen.due_at == berlin(2026, 7, 6, 16)

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 7, 6, 10))
    assert list(open_tasks(deployed, case_id)) == ["abschluss"]
    closed = berlin(2026, 7, 6, 11)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert task_history(deployed, case_id) == [
        ("abschluss", "completed"),
        ("eingang", "completed"),
        ("nachfassen", "completed"),
        ("nachfassen", "completed"),
        ("risikoeinschaetzung", "completed"),
        ("risikostufe_bestaetigen", "completed"),
        ("vermittlung", "completed"),
        ("vermittlung", "completed"),
    ]


# -- 5. escalation by timer ------------------------------------------------------------------------


def test_overdue_hoch_vermittlung_reminds_then_escalates_once_to_team_lead(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "HOCH")
    vermittlung_id = open_tasks(deployed, case_id)["vermittlung"].id
    assert open_tasks(deployed, case_id)["vermittlung"].priority == 90
    overdue = berlin(2026, 6, 2, 16, 1)  # due Tue 2 June 16:00, plus one minute

    # at the due time the people working on it are reminded; nothing is escalated yet
    assert sweep(deployed, clock, overdue).fired == 1
    assert list(open_tasks(deployed, case_id)) == ["vermittlung"]
    row = case_row(deployed, case_id)
    # the decision table "fristen": HOCH escalates 2 office hours after the due time (Wed 09:00 + 2 h)
    assert (row.escalated, row.next_timer_at) == (False, berlin(2026, 6, 3, 11))
    assert [(m.dedupe_key, m.kind, m.recipient) for m in outbox(deployed, case_id)] == [
        (f"reminder:{vermittlung_id}:vermittlung_erinnern", "reminder", "group:beratung")
    ]
    assert audit_actions(deployed, case_id).count("reminded") == 1

    escalated_at = berlin(2026, 6, 3, 11, 1)
    assert sweep(deployed, clock, escalated_at).fired == 1
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"vermittlung", "eskalation_vermittlung"}
    assert tasks["vermittlung"].id == vermittlung_id  # non-interrupting: still open
    assert tasks["vermittlung"].priority == 95  # raised
    escalation = tasks["eskalation_vermittlung"]
    assert (escalation.candidate_group, escalation.escalation, escalation.priority) == (
        "teamleitung",
        True,
        95,
    )
    assert escalation.due_at == berlin(2026, 6, 3, 13, 1)  # arbeitsstunden(2)
    row = case_row(deployed, case_id)
    # the next timer is the escalation task's own reminder at its due time
    assert (row.escalated, row.next_timer_at, row.status) == (True, escalation.due_at, "open")
    messages = outbox(deployed, case_id)
    assert [(m.dedupe_key, m.kind, m.recipient, m.status) for m in messages][1:] == [
        (f"escalation:{escalation.id}", "escalation", "group:teamleitung", "pending")
    ]
    assert messages[1].created_at == escalated_at
    assert audit_actions(deployed, case_id).count("escalated") == 2  # the case, then the review task

    again = sweep(deployed, clock, escalated_at)
    assert (again.fired, again.conflicts, again.failed) == (0, 0, [])
    assert case_row(deployed, case_id).lock_version == row.lock_version
    assert len(outbox(deployed, case_id)) == 2

    step(
        deployed,
        clock,
        case_id,
        "eskalation_vermittlung",
        {"eskalation_vermittlung_massnahme": "beratung_kontaktiert"},
        berlin(2026, 6, 3, 11, 30),
        actor=TEAM_LEAD,
    )
    assert list(open_tasks(deployed, case_id)) == ["vermittlung"]
    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 3, 12))
    follow_up = berlin(2026, 6, 9, 16)  # arbeitstage(3) from Wed 3: Fri 5, Mon 8, Tue 9 (Thu 4: Fronleichnam)
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert sweep(deployed, clock, follow_up + timedelta(minutes=1)).fired == 1
    assert due(deployed, case_id) == {"nachfassen": berlin(2026, 6, 10, 16)}
    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 10, 9))
    closed = berlin(2026, 6, 10, 9, 30)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert case_row(deployed, case_id).escalated is True
    assert len(outbox(deployed, case_id)) == 2
    assert ("eskalation_vermittlung", "completed") in task_history(deployed, case_id)


def test_overdue_nachfassen_of_hoch_case_reminds_and_escalates(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "HOCH")
    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 1, 15))
    assert sweep(deployed, clock, berlin(2026, 6, 5, 16, 0, 1)).fired == 1  # Tue 2, Wed 3, Fri 5
    assert due(deployed, case_id) == {"nachfassen": berlin(2026, 6, 8, 16)}

    assert sweep(deployed, clock, berlin(2026, 6, 8, 15, 59, 59)).fired == 0
    assert sweep(deployed, clock, berlin(2026, 6, 8, 16, 1)).fired == 1  # reminder
    assert list(open_tasks(deployed, case_id)) == ["nachfassen"]
    assert sweep(deployed, clock, berlin(2026, 6, 9, 11)).fired == 1  # 2 office hours later: escalation
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"nachfassen", "eskalation_nachfassen"}
    escalation = tasks["eskalation_nachfassen"]
    assert (escalation.candidate_group, escalation.escalation, escalation.due_at) == (
        "teamleitung",
        True,
        berlin(2026, 6, 9, 13),
    )
    assert case_row(deployed, case_id).escalated is True
    assert [m.kind for m in outbox(deployed, case_id)] == ["reminder", "escalation"]

    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 9, 11, 30))
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, berlin(2026, 6, 9, 12))
    # the escalation branch is still open, so the case is too
    assert case_row(deployed, case_id).status == "open"
    assert list(open_tasks(deployed, case_id)) == ["eskalation_nachfassen"]
    closed = berlin(2026, 6, 9, 12, 30)
    step(
        deployed,
        clock,
        case_id,
        "eskalation_nachfassen",
        {"eskalation_nachfassen_massnahme": "verzoegerung_vertretbar"},
        closed,
        actor=TEAM_LEAD,
    )
    assert_closed_at(deployed, case_id, closed)


def test_overdue_mittel_vermittlung_is_reminded_and_escalated_a_working_day_later(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    vermittlung_id = open_tasks(deployed, case_id)["vermittlung"].id
    assert open_tasks(deployed, case_id)["vermittlung"].due_at == berlin(2026, 6, 5, 16)

    assert sweep(deployed, clock, berlin(2026, 6, 5, 16, 1)).fired == 1
    tasks = open_tasks(deployed, case_id)
    assert list(tasks) == ["vermittlung"] and tasks["vermittlung"].id == vermittlung_id
    row = case_row(deployed, case_id)
    assert (row.escalated, row.next_timer_at) == (False, berlin(2026, 6, 8, 16))  # one working day later
    assert [m.kind for m in outbox(deployed, case_id)] == ["reminder"]
    assert "escalated" not in audit_actions(deployed, case_id)

    step(
        deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 8, 9)
    )  # in time: no escalation
    follow_up = berlin(2026, 6, 22, 16)  # arbeitstage(10) from Mon 8: 9, 10, 11, 12, 15, 16, 17, 18, 19, 22
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 23, 9))
    closed = berlin(2026, 6, 23, 10)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)
    assert case_row(deployed, case_id).escalated is False
    assert {element for element, _ in task_history(deployed, case_id)}.isdisjoint(
        {"eskalation_vermittlung", "eskalation_nachfassen"}
    )


# -- 6. the sweep never fires early ----------------------------------------------------------------


def test_sweep_one_second_early_changes_nothing(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "HOCH")
    before = case_row(deployed, case_id)
    assert (
        before.next_timer_at == berlin(2026, 6, 2, 16) == open_tasks(deployed, case_id)["vermittlung"].due_at
    )
    audit_before = audit_actions(deployed, case_id)

    report = sweep(deployed, clock, before.next_timer_at - timedelta(seconds=1))
    assert (report.fired, report.conflicts, report.failed) == (0, 0, [])
    after = case_row(deployed, case_id)
    assert (after.lock_version, after.state, after.updated_at, after.next_timer_at, after.escalated) == (
        before.lock_version,
        before.state,
        before.updated_at,
        before.next_timer_at,
        False,
    )
    assert list(open_tasks(deployed, case_id)) == ["vermittlung"]
    assert audit_actions(deployed, case_id) == audit_before
    assert outbox(deployed, case_id) == []


def test_sweep_at_exactly_the_due_instant_fires_the_timer(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "HOCH")
    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 2, 14))
    follow_up = case_row(deployed, case_id).next_timer_at
    assert follow_up == berlin(2026, 6, 8, 16)

    report = sweep(deployed, clock, follow_up)
    assert report.fired == 1
    assert list(open_tasks(deployed, case_id)) == ["nachfassen"]


# -- 7. deadlines across a public holiday ------------------------------------------------------------


def test_hoch_confirmed_before_fronleichnam_is_due_friday(deployed, clock):
    case_id = start(deployed, clock, berlin(2026, 6, 3, 15))  # Wednesday, the day before Fronleichnam
    # arbeitsstunden(2): 15:00-16:00 Wednesday, Thursday is a holiday, 09:00-10:00 Friday
    assert due(deployed, case_id) == {"eingang": berlin(2026, 6, 5, 10)}
    clock.set(berlin(2026, 6, 3, 15, 30))
    assess(deployed, case_id, "HOCH")

    assert due(deployed, case_id) == {"vermittlung": berlin(2026, 6, 5, 16)}
    assert stored_variables(deployed, case_id)["frist_vermittlung"] == "2026-06-05T16:00:00+02:00"
    row = case_row(deployed, case_id)
    assert (row.risk_level, row.next_timer_at) == ("HOCH", berlin(2026, 6, 5, 16))

    # nothing is overdue on the holiday itself
    assert sweep(deployed, clock, berlin(2026, 6, 4, 16, 1)).fired == 0
    assert list(open_tasks(deployed, case_id)) == ["vermittlung"]

    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 5, 11))
    follow_up = berlin(2026, 6, 10, 16)  # arbeitstage(3) from Fri 5: Mon 8, Tue 9, Wed 10
    assert case_row(deployed, case_id).next_timer_at == follow_up
    assert sweep(deployed, clock, follow_up + timedelta(seconds=1)).fired == 1
    step(deployed, clock, case_id, "nachfassen", {"hilfe_angekommen": "ja"}, berlin(2026, 6, 11, 9))
    closed = berlin(2026, 6, 11, 9, 30)
    step(deployed, clock, case_id, "abschluss", ABSCHLUSS, closed)
    assert_closed_at(deployed, case_id, closed)


# -- 8. a new incident on an open case ---------------------------------------------------------------


def _new_incident(ctx: EngineContext, clock: ManualClock, case_id: int, level: str, when: datetime) -> str:
    """Report a new incident at ``when``, answer the risk questions for ``level`` and confirm it."""
    clock.set(when)
    reported = report_incident(ctx, COUNSELLOR, case_id)
    assert reported.task_id == open_tasks(ctx, case_id)["vorfall_erfassen"].id
    answers = {**NO_RISK, **LEVEL_ANSWERS[level], "vorfall_beschreibung": "Neue Drohung per Brief"}
    complete(ctx, COUNSELLOR, case_id, "vorfall_erfassen", answers)
    confirm_id = open_tasks(ctx, case_id)["vorfall_risikostufe_bestaetigen"].id
    complete(ctx, COUNSELLOR, case_id, "vorfall_risikostufe_bestaetigen", {"risikostufe": level})
    return confirm_id


def test_new_incident_raising_niedrig_to_hoch_tightens_open_deadlines_at_once(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "NIEDRIG")
    vermittlung = open_tasks(deployed, case_id)["vermittlung"]
    # NIEDRIG: arbeitstage(10) from Mon 1 June (Thu 4 June is Fronleichnam): Tue 16 June 16:00
    assert (vermittlung.due_at, vermittlung.priority) == (berlin(2026, 6, 16, 16), 50)
    assert case_row(deployed, case_id).next_timer_at == berlin(2026, 6, 16, 16)

    _new_incident(deployed, clock, case_id, "HOCH", berlin(2026, 6, 2, 10))

    tasks = open_tasks(deployed, case_id)
    assert list(tasks) == ["vermittlung"]
    assert tasks["vermittlung"].id == vermittlung.id  # the same task, still claimed by whoever had it
    # HOCH: arbeitstage(1) from Tue 2 June 10:00 -> Wed 3 June 16:00; priority as for HOCH
    assert (tasks["vermittlung"].due_at, tasks["vermittlung"].priority) == (berlin(2026, 6, 3, 16), 90)
    row = case_row(deployed, case_id)
    assert (row.risk_level, row.next_timer_at) == ("HOCH", berlin(2026, 6, 3, 16))
    assert {"incident_reported", "deadlines_tightened"} <= set(audit_actions(deployed, case_id))
    variables = stored_variables(deployed, case_id)
    assert variables["risikostufe"] == "HOCH"

    # the tightened timers fire at the new time: reminder, then escalation 2 office hours later
    assert sweep(deployed, clock, berlin(2026, 6, 3, 16, 1)).fired == 1
    assert [m.kind for m in outbox(deployed, case_id)] == ["reminder"]
    assert sweep(deployed, clock, berlin(2026, 6, 5, 11, 1)).fired == 1  # Thu 4 is Fronleichnam
    assert set(open_tasks(deployed, case_id)) == {"vermittlung", "eskalation_vermittlung"}
    assert case_row(deployed, case_id).escalated is True

    # what follows uses the new level: HOCH follow-up after arbeitstage(3)
    step(deployed, clock, case_id, "vermittlung", VERMITTLUNG, berlin(2026, 6, 5, 12))
    assert stored_variables(deployed, case_id)["frist_nachfassen"] == "2026-06-10T16:00:00+02:00"


def test_open_tasks_carry_the_case_facts_through_risk_change_and_escalation(deployed, clock):
    """The inbox reads reference, risk level, Land and escalation mark from the tasks alone: each change
    of the case reaches its open tasks in the same transaction, new tasks are born with them."""
    case_id = start(deployed, clock)
    reference = case_row(deployed, case_id).reference
    assert reference and case_facts_on_tasks(deployed, case_id) == {(reference, None, None, False)}

    assess(deployed, case_id, "NIEDRIG")
    assert case_facts_on_tasks(deployed, case_id) == {(reference, "NIEDRIG", "NW", False)}
    vermittlung = open_tasks(deployed, case_id)["vermittlung"].id

    _new_incident(deployed, clock, case_id, "HOCH", berlin(2026, 6, 2, 10))
    assert open_tasks(deployed, case_id)["vermittlung"].id == vermittlung  # open across the change
    assert case_facts(deployed, case_id) == (reference, "HOCH", "NW", False)
    assert case_facts_on_tasks(deployed, case_id) == {(reference, "HOCH", "NW", False)}

    assert sweep(deployed, clock, berlin(2026, 6, 3, 16, 1)).fired == 1  # reminder
    assert sweep(deployed, clock, berlin(2026, 6, 5, 11, 1)).fired == 1  # escalation with a new task
    assert set(open_tasks(deployed, case_id)) == {"vermittlung", "eskalation_vermittlung"}
    assert case_facts(deployed, case_id)[1:] == ("HOCH", "NW", True)  # the escalation keeps the raised level
    assert case_facts_on_tasks(deployed, case_id) == {case_facts(deployed, case_id)}
    # finished tasks keep the facts as they were while they were open
    assert (reference, "NIEDRIG", "NW", False) in case_facts_on_tasks(deployed, case_id, "completed")


def test_a_raised_level_survives_the_reminder_and_the_escalation_that_follow(deployed, clock):
    """SpiffWorkflow gives a firing boundary event its parent's data again; the raised level must not fall
    back to the one from before the incident when the reminder and then the escalation fire."""
    case_id = start(deployed, clock)
    assess(deployed, case_id, "NIEDRIG")
    _new_incident(deployed, clock, case_id, "HOCH", berlin(2026, 6, 2, 10))
    raised = stored_variables(deployed, case_id)
    for when in (berlin(2026, 6, 3, 16, 1), berlin(2026, 6, 5, 11, 1)):  # reminder, then escalation
        assert sweep(deployed, clock, when).fired == 1
        assert case_row(deployed, case_id).risk_level == "HOCH"
        now = stored_variables(deployed, case_id)
        assert (now["risikostufe"], now["frist_vermittlung"]) == (
            raised["risikostufe"],
            raised["frist_vermittlung"],
        )
    assert set(open_tasks(deployed, case_id)) == {"vermittlung", "eskalation_vermittlung"}


def test_new_incident_that_is_not_higher_changes_no_deadline(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "MITTEL")
    before = open_tasks(deployed, case_id)["vermittlung"]
    _new_incident(deployed, clock, case_id, "NIEDRIG", berlin(2026, 6, 2, 10))
    after = open_tasks(deployed, case_id)
    assert list(after) == ["vermittlung"]
    assert (after["vermittlung"].due_at, after["vermittlung"].priority) == (before.due_at, before.priority)
    assert case_row(deployed, case_id).risk_level == "MITTEL"
    assert "deadlines_tightened" not in audit_actions(deployed, case_id)


def test_new_incident_on_a_closed_case_is_refused(deployed, clock):
    case_id = start(deployed, clock)
    assess(deployed, case_id, "INFO")
    step(
        deployed,
        clock,
        case_id,
        "praevention",
        {"material": ["auskunftssperre_info"]},
        berlin(2026, 6, 1, 11),
    )
    if case_row(deployed, case_id).status == "open":
        step(deployed, clock, case_id, "abschluss", ABSCHLUSS, berlin(2026, 6, 1, 12))
    assert case_row(deployed, case_id).status == "closed"
    with pytest.raises(IncidentNotAccepted) as refused:
        report_incident(deployed, COUNSELLOR, case_id)
    assert "abgeschlossen" in refused.value.message("de") and "closed" in refused.value.message("en")
