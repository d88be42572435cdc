"""Calendar settings on SQLite and PostgreSQL: who may change them, audit, revision, and every process following."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from engine.calendar.business_calendar import BERLIN
from engine.calendar.settings import (
    CalendarSettings,
    calendar_settings,
    change_calendar_settings,
    current_calendar_settings,
    settings_of,
)
from engine.cases.lifecycle import open_case
from engine.kernel.actor import Actor
from engine.kernel.errors import CalendarSettingsInvalid, NotPermitted
from engine.store import schema
from engine.store.tables import AuditEvent, CalendarSettingsRow
from tests.conftest import COUNSELLOR, TEAM_LEAD, make_context
from tests.steps import open_tasks

ADMIN = Actor("ada", frozenset({"administration"}))
PROCESS_OWNER = Actor("paul", frozenset({"prozessverantwortung"}))
MONDAY = date(2026, 6, 1)  # the test clock's day: Monday 1 June 2026, 10:00 in Berlin


def with_changes(base: CalendarSettings, **changes: object) -> CalendarSettings:
    values = {
        "opens": base.opens,
        "closes": base.closes,
        "weekdays": base.weekdays,
        "land": base.land,
        "recurring_closures": base.recurring_closures,
        "closures": base.closures,
        **changes,
    }
    return calendar_settings(**values)  # type: ignore[arg-type]


def audit_events(ctx) -> list[AuditEvent]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar_changed")))


def stored_rows(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(CalendarSettingsRow)) or 0


def test_without_a_stored_row_the_calendar_the_process_started_with_applies(database_url, clock):
    context = make_context(database_url, clock, land="BE")
    try:
        found = current_calendar_settings(context)
        assert found.revision == 0 and found.updated_by is None
        assert found == settings_of(context.calendar)
        assert (found.land, found.opens, found.closes) == ("BE", time(9), time(16))
        assert found.weekdays == frozenset(range(5)) and found.recurring_closures == ((12, 24), (12, 31))
    finally:
        context.db.dispose()


@pytest.mark.parametrize("actor", [COUNSELLOR, TEAM_LEAD, PROCESS_OWNER])
def test_only_administrators_may_change_the_calendar(ctx, actor):
    wanted = with_changes(current_calendar_settings(ctx), land="BY")
    with pytest.raises(NotPermitted):
        change_calendar_settings(ctx, actor, wanted)
    assert stored_rows(ctx) == 0 and audit_events(ctx) == [] and ctx.calendar.land == "NW"


def test_invalid_settings_store_nothing(ctx):
    current = current_calendar_settings(ctx)
    wanted = with_changes(current, opens=time(17), closures=[date(1990, 1, 1)])
    with pytest.raises(CalendarSettingsInvalid) as refused:
        change_calendar_settings(ctx, ADMIN, wanted)
    assert set(refused.value.errors) == {"closes", "closures"}
    assert "Schließzeit" in refused.value.message("de") and "closing time" in refused.value.message("en")
    assert stored_rows(ctx) == 0 and audit_events(ctx) == [] and current_calendar_settings(ctx) == current


def test_a_change_is_stored_audited_and_counts_the_revision(ctx, clock):
    first = change_calendar_settings(
        ctx, ADMIN, with_changes(current_calendar_settings(ctx), land="BY", closures=[date(2026, 12, 28)])
    )
    assert first.changed == ("land", "closures")
    assert first.settings.revision == 1 and first.settings.updated_by == "ada"
    assert first.settings.updated_at == clock.now()
    clock.advance(timedelta(minutes=5))
    second = change_calendar_settings(ctx, ADMIN, with_changes(first.settings, closes=time(15, 30)))
    assert second.changed == ("closes",) and second.settings.revision == 2
    stored = current_calendar_settings(ctx)
    assert stored == second.settings and stored.updated_at == clock.now()
    assert (stored.land, stored.closes, stored.closures) == ("BY", time(15, 30), (date(2026, 12, 28),))
    events = audit_events(ctx)
    assert [(e.actor, e.case_id, e.detail) for e in events] == [
        ("ada", None, "land,closures"),
        ("ada", None, "closes"),
    ]
    assert all("2026" not in (e.detail or "") and "BY" not in (e.detail or "") for e in events)
    assert stored_rows(ctx) == 1


def test_saving_unchanged_settings_changes_nothing(ctx):
    unchanged = change_calendar_settings(ctx, ADMIN, current_calendar_settings(ctx))
    assert unchanged.changed == () and stored_rows(ctx) == 0
    saved = change_calendar_settings(ctx, ADMIN, with_changes(unchanged.settings, weekdays={0, 1, 2, 3}))
    again = change_calendar_settings(ctx, ADMIN, saved.settings)
    assert again.changed == () and again.settings.revision == 1 and len(audit_events(ctx)) == 1


def test_the_changing_process_follows_at_once_in_deadlines_of_new_cases(deployed, clock):
    assert _intake_due(deployed) == _berlin(MONDAY, 12)  # Monday 10:00 + 2 working hours
    change_calendar_settings(
        deployed, ADMIN, with_changes(current_calendar_settings(deployed), closures=[MONDAY])
    )
    assert deployed.calendar.closure_reason(MONDAY) == "Schließtag"
    assert _intake_due(deployed) == _berlin(MONDAY + timedelta(days=1), 11)  # Tuesday 09:00 + 2 hours


def test_another_process_follows_when_it_reloads(deployed, database_url, clock):
    """A second gunicorn worker: its own context and calendar on the same database."""
    worker = make_context(database_url, clock)
    try:
        start = datetime(2026, 6, 1, 10, tzinfo=BERLIN)
        assert worker.calendar.add_working_days(start, 1) == _berlin(date(2026, 6, 2), 16)
        change_calendar_settings(
            deployed,
            ADMIN,
            with_changes(current_calendar_settings(deployed), closures=[date(2026, 6, 2)], closes=time(17)),
        )
        assert worker.calendar.add_working_days(start, 1) == _berlin(date(2026, 6, 2), 16)  # not asked yet
        worker.reload_calendar()
        assert worker.calendar_follower.revision == 1
        assert worker.calendar.add_working_days(start, 1) == _berlin(date(2026, 6, 3), 17)
        assert _intake_due(worker) == _berlin(MONDAY, 12)  # same day, 17:00 closing is further away
    finally:
        worker.db.dispose()


def test_another_process_asks_at_most_every_few_seconds(deployed, database_url, clock):
    seconds = [100.0]
    worker = make_context(database_url, clock)
    worker.calendar_follower.monotonic = lambda: seconds[0]
    try:
        assert _intake_due(worker) == _berlin(MONDAY, 12)  # the first unit of work asks
        change_calendar_settings(
            deployed, ADMIN, with_changes(current_calendar_settings(deployed), closures=[MONDAY])
        )
        seconds[0] += worker.calendar_follower.interval - 0.5
        assert _intake_due(worker) == _berlin(MONDAY, 12)  # within the interval: the old settings
        seconds[0] += 1
        assert _intake_due(worker) == _berlin(MONDAY + timedelta(days=1), 11)
        assert worker.calendar_follower.revision == 1
    finally:
        worker.db.dispose()


def test_a_process_goes_back_to_its_defaults_when_the_row_is_gone(tmp_path, clock):
    """After a downgrade and upgrade of the schema the stored settings are gone; defaults apply again."""
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    context = make_context(url, clock)
    schema.upgrade(context.db)
    try:
        change_calendar_settings(context, ADMIN, with_changes(current_calendar_settings(context), land="SN"))
        assert context.calendar.land == "SN"
        schema.downgrade(context.db, "0004")
        context.reload_calendar()  # the table is missing: logged, the calendar stays as it is
        assert context.calendar.land == "SN"
        schema.upgrade(context.db)
        context.reload_calendar()
        assert context.calendar.land == "NW" and context.calendar_follower.revision == 0
    finally:
        context.db.dispose()


def test_a_row_the_calendar_cannot_use_leaves_the_calendar_as_it_is(ctx, caplog):
    change_calendar_settings(ctx, ADMIN, with_changes(current_calendar_settings(ctx), land="HE"))
    with ctx.unit_of_work() as session:
        session.execute(update(CalendarSettingsRow).values(land="XX", revision=7))
        session.commit()
    ctx.reload_calendar()
    assert ctx.calendar.land == "HE" and ctx.calendar_follower.revision == 1
    assert "calendar settings not usable" in caplog.text
    with ctx.unit_of_work(writes=False) as session:  # use cases go on
        assert session.scalar(select(CalendarSettingsRow.land)) == "XX"


def test_migration_0005_goes_down_and_up_and_allows_one_row_only(database_url, clock):
    engine = create_engine(database_url)
    try:
        schema.downgrade(engine, "0004")
        assert "calendar_settings" not in inspect(engine).get_table_names()
        assert "cases" in inspect(engine).get_table_names()
        schema.upgrade(engine)
        columns = {column["name"] for column in inspect(engine).get_columns("calendar_settings")}
        assert columns == {
            "id", "opens", "closes", "weekdays", "land", "recurring_closures", "closures",
            "revision", "updated_at", "updated_by",
        }  # fmt: skip
        row = {
            "opens": time(9),
            "closes": time(16),
            "weekdays": "0,1,2,3,4",
            "land": "NW",
            "recurring_closures": "12-24,12-31",
            "closures": "",
            "revision": 1,
            "updated_at": clock.now(),
            "updated_by": "ada",
        }
        with engine.begin() as connection:
            connection.execute(insert(CalendarSettingsRow.__table__), {"id": 1, **row})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert(CalendarSettingsRow.__table__), {"id": 2, **row})
    finally:
        engine.dispose()


def _intake_due(ctx) -> datetime:
    due = open_tasks(ctx, open_case(ctx, COUNSELLOR).case_id)["eingang"].due_at
    assert due is not None
    return due


def _berlin(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)
