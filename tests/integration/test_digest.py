"""The daily digest: per person on working days, references and links only, once a day, never empty."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine.cases.lifecycle import claim_task, open_case
from engine.deadlines.digest import queue_digests
from engine.processes.deployment import deploy_process
from engine.staff.accounts import add_staff
from engine.store.tables import OutboxMessage
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import case_row, message_content, task_id_for

FRIDAY_TEN = datetime(2026, 5, 29, 8, 0, tzinfo=UTC)  # 10:00 in Berlin
MONDAY_EIGHT = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 in Berlin, before opening
MONDAY_DIGEST = datetime(2026, 6, 1, 6, 45, tzinfo=UTC)  # 08:45 in Berlin
CORPUS_CHRISTI = datetime(2026, 6, 4, 6, 45, tzinfo=UTC)  # a public holiday in NW
PASSWORD = "ein-gutes-passwort"


def _digests(ctx) -> dict[str, OutboxMessage]:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    return {row.recipient: row for row in rows}


def _setup(ctx):
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    for name, roles, email in (
        ("anna", ["beratung"], "anna@example.org"),
        ("ben", ["beratung"], "ben@example.org"),
        ("tara", ["teamleitung"], "tara@example.org"),
        ("nomail", ["beratung"], None),
    ):
        add_staff(ctx, "test", name, name.title(), PASSWORD, roles, email)
    overdue = open_case(ctx, COUNSELLOR, process_key="gespraech", now=FRIDAY_TEN)
    today = open_case(ctx, COUNSELLOR, process_key="gespraech", now=MONDAY_EIGHT)
    claim_task(ctx, OTHER_COUNSELLOR, task_id_for(ctx, today.case_id, "rueckruf"), now=MONDAY_EIGHT)
    return overdue, today


def test_digest_per_person_with_due_and_overdue_tasks(ctx):
    overdue, today = _setup(ctx)
    report = queue_digests(ctx, MONDAY_DIGEST)
    assert report.working_day and report.queued == ["anna", "ben"] and report.nothing_to_say == ["tara"]
    digests = _digests(ctx)
    assert set(digests) == {"staff:anna", "staff:ben"}
    anna = message_content(ctx, digests["staff:anna"]).body
    ben = message_content(ctx, digests["staff:ben"]).body
    assert f"Fall {case_row(ctx, overdue.case_id).reference}: /faelle/{overdue.case_id}" in anna
    assert f"/faelle/{today.case_id}" not in anna  # ben has claimed it
    assert "Überfällig / overdue (1)" in ben and "Heute fällig / due today (1)" in ben
    assert f": /faelle/{today.case_id}" in ben
    assert "Rückruf" not in anna + ben and "Beispiel" not in anna + ben  # no case content
    assert digests["staff:anna"].dedupe_key == "digest:anna:2026-06-01"


def test_digest_goes_out_once_a_day(ctx):
    _setup(ctx)
    queue_digests(ctx, MONDAY_DIGEST)
    again = queue_digests(ctx, MONDAY_DIGEST.replace(hour=9))
    assert again.queued == [] and again.already_queued == ["anna", "ben"]
    assert len(_digests(ctx)) == 2


def test_no_digest_on_a_public_holiday(ctx):
    _setup(ctx)
    report = queue_digests(ctx, CORPUS_CHRISTI)
    assert not report.working_day and report.queued == [] and _digests(ctx) == {}
