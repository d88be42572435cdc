"""The information/prevention path: a person who is not affected skips the risk questionnaire, is offered
prevention material, and the case closes; the case is marked for the statistics."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.cases.lifecycle import open_case
from engine.demo.seed import EINGANG
from engine.statistics.counting import count_span
from engine.statistics.period import BERLIN, month_key, month_of
from engine.store.tables import Case
from tests.bpmn.test_fallbearbeitung_paths import berlin, due, task_history
from tests.conftest import COUNSELLOR
from tests.steps import case_row, complete, open_tasks

NOT_AFFECTED = {**EINGANG, "betroffen": "nicht_betroffen", "vorfallarten": ["kein_vorfall"]}


def test_not_affected_skips_the_risk_questionnaire_offers_prevention_and_closes(deployed, clock):
    case_id = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", NOT_AFFECTED)
    assert set(open_tasks(deployed, case_id)) == {"praevention"}  # no questionnaire, no confirmation
    assert due(deployed, case_id) == {"praevention": berlin(2026, 6, 5, 16)}
    row = case_row(deployed, case_id)
    assert (row.risk_level, row.request_kind, row.status) == ("INFO", "information", "open")

    complete(deployed, COUNSELLOR, case_id, "praevention", {"material": ["broschuere_sicherheit"]})
    row = case_row(deployed, case_id)
    assert (row.status, row.closed_at, row.next_timer_at) == ("closed", clock.now(), None)
    assert task_history(deployed, case_id) == [("eingang", "completed"), ("praevention", "completed")]


def test_statistics_count_information_requests_apart_from_affected_info_cases(deployed):
    informed = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(deployed, COUNSELLOR, informed, "eingang", NOT_AFFECTED)
    affected = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(deployed, COUNSELLOR, affected, "eingang", EINGANG)
    assert "risikoeinschaetzung" in open_tasks(deployed, affected)  # the affected keep the questionnaire
    with deployed.unit_of_work(writes=False) as session:
        counted = session.execute(
            select(Case.request_kind, func.count()).group_by(Case.request_kind).order_by(Case.request_kind)
        ).all()
    assert counted == [("beratung", 1), ("information", 1)]


def test_the_topics_of_a_request_are_asked_at_intake_and_counted(deployed):
    """Security, legal, psychosocial, prevention/information: a multiple choice at intake, kept as codes on the
    case and counted by the statistics (one mention per topic)."""
    first = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    complete(deployed, COUNSELLOR, first, "eingang", {**EINGANG, "anliegen_themen": ["sicherheit", "recht"]})
    second = open_case(deployed, COUNSELLOR, {"kontaktkanal": "email"}).case_id
    complete(deployed, COUNSELLOR, second, "eingang", {**NOT_AFFECTED, "anliegen_themen": ["information"]})
    untold = open_case(deployed, COUNSELLOR, {"kontaktkanal": "email"}).case_id
    complete(deployed, COUNSELLOR, untold, "eingang", EINGANG)
    assert case_row(deployed, first).request_topics == "recht sicherheit"
    with deployed.unit_of_work(writes=False) as session:
        opened = session.scalar(select(func.min(Case.opened_at)))
        counts = count_span(session, deployed.calendar, month_of(month_key(opened.astimezone(BERLIN).date())))
    assert dict(counts["anliegen_themen"]) == {"sicherheit": 1, "recht": 1, "information": 1, "unbekannt": 1}
