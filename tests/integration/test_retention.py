"""Retention purge: past the period a closed case keeps its statistics and loses its content;
a legal hold keeps everything; a dry run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from engine.cases.assessments import assessment_binding
from engine.cases.lifecycle import open_case
from engine.cases.notes import add_note
from engine.cases.retention import months_before, purge_expired_cases, set_legal_hold
from engine.kernel import outbox
from engine.kernel.errors import NotPermitted
from engine.person.contact_routes import add_route
from engine.person.contacts_log import NewContact, log_contact
from engine.person.merge import merge_case
from engine.person.privacy import Particulars, change_mode, save_person
from engine.processes.deployment import deploy_process
from engine.statistics.period import BERLIN, year
from engine.statistics.report import build_report
from engine.store.person_tables import CaseContact, CasePerson, ContactRoute
from engine.store.tables import AuditEvent, CaseNote, CasePurge, OutboxMessage, RiskAssessmentRow, Task
from tests.conftest import COUNSELLOR, TEAM_LEAD
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import case_row, complete, message_content, stored_variables

CLOSED = datetime(2024, 3, 15, 10, 0, tzinfo=UTC)
PAST_RETENTION = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)  # exactly 24 months later


def _closed_case(ctx, at: datetime) -> int:
    case_id = open_case(ctx, COUNSELLOR, process_key="gespraech", now=at).case_id
    add_note(ctx, COUNSELLOR, case_id, "Herr Beispiel aus Musterstadt wurde erneut bedroht.", now=at)
    values = {"land": "NW", "amt": "buergermeister", "schilderung": "Drohbrief an Herrn Beispiel"}
    complete(ctx, COUNSELLOR, case_id, "rueckruf", values, now=at)
    assert case_row(ctx, case_id).status == "closed"
    return case_id


def _count(ctx, model, *where) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _year_report(ctx) -> list:
    with ctx.unit_of_work(writes=False) as session:
        report = build_report(session, ctx.calendar, year(2024), internal=True)
    return [(block.key, block.rows) for block in report.blocks]


@pytest.fixture
def cases(ctx):
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    expired = _closed_case(ctx, CLOSED)
    held = _closed_case(ctx, CLOSED)
    recent = _closed_case(ctx, CLOSED + timedelta(days=1))
    set_legal_hold(ctx, TEAM_LEAD, held, True, now=CLOSED, reason="Ermittlungsverfahren")
    return expired, held, recent


def test_months_before_clips_the_day():
    assert months_before(datetime(2026, 2, 28, 9, tzinfo=UTC), 24) == datetime(2024, 2, 28, 9, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)


def test_dry_run_lists_and_changes_nothing(ctx, cases):
    expired, held, _recent = cases
    before = case_row(ctx, expired)
    report = purge_expired_cases(ctx, PAST_RETENTION, dry_run=True)
    assert report.due == [before.reference] and report.held == [case_row(ctx, held).reference]
    assert report.purged == []
    after = case_row(ctx, expired)
    assert (after.state, after.lock_version) == (before.state, before.lock_version)
    assert _count(ctx, CaseNote, CaseNote.case_id == expired) == 1 and _count(ctx, CasePurge) == 0


def test_not_a_second_early(ctx, cases):
    report = purge_expired_cases(ctx, PAST_RETENTION - timedelta(seconds=1))
    assert report.due == [] and report.purged == []


def test_purge_keeps_statistics_and_audit_and_removes_content(ctx, cases):
    expired, held, recent = cases
    before = case_row(ctx, expired)
    audit_before = _count(ctx, AuditEvent, AuditEvent.case_id == expired)
    tasks_before = _count(ctx, Task, Task.case_id == expired)
    assert stored_variables(ctx, expired)["schilderung"] == "Drohbrief an Herrn Beispiel"
    year_before = _year_report(ctx)
    report = purge_expired_cases(ctx, PAST_RETENTION)
    assert report.purged == [before.reference]
    after = case_row(ctx, expired)
    # content gone: workflow state (all variables, party data included) and notes
    assert after.state == b"" and _count(ctx, CaseNote, CaseNote.case_id == expired) == 0
    # statistics stay: the year's report is the same (from the monthly snapshots), while the purged case,
    # the only one, keeps only its month (engine.cases.coarsening: no combination below 5 cases; the month
    # is in its audit trail anyway)
    assert _year_report(ctx) == year_before
    assert (after.status, after.land, after.office_type) == ("closed", None, None)
    assert after.statistics_period == f"{before.opened_at.astimezone(BERLIN):%Y-%m}"
    assert _count(ctx, Task, Task.case_id == expired) == tasks_before
    # the audit trail stays, with the purge added
    assert _count(ctx, AuditEvent, AuditEvent.case_id == expired) == audit_before + 1
    with ctx.unit_of_work(writes=False) as session:
        purge = session.get(CasePurge, expired)
    assert (purge.retention_months, purge.notes_deleted, purge.purged_at) == (24, 1, PAST_RETENTION)
    # the case under legal hold and the one still within the period are untouched
    for untouched in (held, recent):
        assert stored_variables(ctx, untouched)["schilderung"] == "Drohbrief an Herrn Beispiel"
        assert _count(ctx, CaseNote, CaseNote.case_id == untouched) == 1
    # running again purges nothing more
    again = purge_expired_cases(ctx, PAST_RETENTION + timedelta(hours=1))
    assert again.due == [] and again.purged == []


def test_released_hold_lets_the_purge_proceed(ctx, cases):
    _expired, held, _recent = cases
    with pytest.raises(NotPermitted):
        set_legal_hold(ctx, COUNSELLOR, held, False, reason="Ermittlungsverfahren")
    assert set_legal_hold(ctx, TEAM_LEAD, held, False, reason="Ermittlungsverfahren") is True
    assert set_legal_hold(ctx, TEAM_LEAD, held, False, reason="Ermittlungsverfahren") is False
    report = purge_expired_cases(ctx, PAST_RETENTION)
    assert len(report.purged) == 2 and report.held == []
    assert case_row(ctx, held).state == b""


def _assessment(ctx, case_id: int) -> None:
    with ctx.unit_of_work() as session:
        session.add(
            RiskAssessmentRow(
                case_id=case_id,
                task_id=f"task-{case_id}",
                assessed_at=CLOSED,
                assessed_by="anna",
                incident=False,
                proposal="MITTEL",
                rule="R6",
                result="HOCH",
                overridden=True,
                sealed=ctx.vault.seal(b'{"answers": [], "reason": "Fixierung"}', assessment_binding(case_id)),
            )
        )
        session.commit()


def test_purge_keeps_the_assessed_level_and_drops_answers_and_reason(ctx, cases):
    expired, held, _ = cases
    _assessment(ctx, expired)
    _assessment(ctx, held)
    purge_expired_cases(ctx, PAST_RETENTION)
    with ctx.unit_of_work(writes=False) as session:
        rows = {row.case_id: row for row in session.scalars(select(RiskAssessmentRow))}
    assert (rows[expired].result, rows[expired].overridden, rows[expired].sealed) == ("HOCH", True, b"")
    assert (
        ctx.vault.open(rows[held].sealed, assessment_binding(held))
        == b'{"answers": [], "reason": "Fixierung"}'
    )


def test_purge_empties_a_dead_letter_of_the_case_and_keeps_its_record(ctx, cases):
    expired, held, _recent = cases
    with ctx.unit_of_work() as session:
        for case_id in (expired, held):
            outbox.enqueue(
                session,
                CLOSED,
                dedupe_key=f"left-over:{case_id}",
                kind="referral_handover",
                recipient="beratung@example.org",
                subject="Warme Übergabe",
                body="Herr Beispiel aus Musterstadt",
                case_id=case_id,
            )
        session.execute(update(OutboxMessage).values(status="dead"))  # given up on, never delivered
        session.commit()
    purge_expired_cases(ctx, PAST_RETENTION)
    with ctx.unit_of_work(writes=False) as session:
        rows = {row.case_id: row for row in session.scalars(select(OutboxMessage))}
    assert rows[expired].sealed is None and rows[expired].status == "dead"
    assert message_content(ctx, rows[held]).body == "Herr Beispiel aus Musterstadt"


def test_purge_removes_the_persons_routes_particulars_and_contact_summaries(ctx, cases):
    expired, _held, recent = cases
    for case_id in (expired, recent):
        change_mode(ctx, COUNSELLOR, case_id, "vertraulich", now=CLOSED)
        add_route(ctx, COUNSELLOR, case_id, "telefon", "0171 1234567", now=CLOSED)
        save_person(ctx, COUNSELLOR, case_id, "selbst", None, Particulars(name="Herr Beispiel"), now=CLOSED)
        contact = NewContact("anruf", "eingehend", at=CLOSED, summary="Herr Beispiel ruft an")
        log_contact(ctx, COUNSELLOR, case_id, contact, now=CLOSED)
    purge_expired_cases(ctx, PAST_RETENTION)
    assert _count(ctx, ContactRoute, ContactRoute.case_id == expired) == 0
    assert _count(ctx, CasePerson, CasePerson.case_id == expired, CasePerson.sealed.is_not(None)) == 0
    assert _count(ctx, CaseContact, CaseContact.case_id == expired, CaseContact.sealed.is_(None)) == 1
    assert _count(ctx, ContactRoute, ContactRoute.case_id == recent) == 1, "the recent case keeps its routes"


def test_a_merged_duplicate_is_purged_when_its_period_runs_out(ctx, cases):
    _expired, _held, recent = cases
    duplicate = open_case(ctx, COUNSELLOR, process_key="gespraech", now=CLOSED).case_id
    merge_case(ctx, COUNSELLOR, duplicate, str(recent), now=CLOSED)
    report = purge_expired_cases(ctx, PAST_RETENTION)
    assert case_row(ctx, duplicate).reference in report.purged
    assert case_row(ctx, duplicate).status == "merged"
