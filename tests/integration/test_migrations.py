"""Alembic discipline: the migrations build the schema the models declare, and go down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, inspect, text

from engine.store import schema
from engine.store.tables import Base


def test_migrations_match_models_and_reverse(database_url):
    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    schema.downgrade(engine, "base")
    assert not set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
    schema.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()


def test_0010_copies_the_case_facts_onto_existing_tasks(database_url):
    engine = create_engine(database_url)
    schema.downgrade(engine, "0009")
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as connection:
        version = connection.execute(
            text(
                "INSERT INTO process_versions (key, version, name, sha256, bpmn_xml, dmn_xml, spec_json,"
                " deployed_at, deployed_by) VALUES ('p', 1, 'p', 'x', '', '{}', '{}', :now, 't') RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        case = connection.execute(
            text(
                "INSERT INTO cases (reference, process_version_id, state, serializer_version, lock_version,"
                " status, escalated, legal_hold, risk_level, land, opened_at, updated_at, opened_by)"
                " VALUES ('2026-00001', :version, :state, 's', 1, 'open', :yes, :no, 'HOCH', 'NW', :now,"
                " :now, 't') RETURNING id"
            ),
            {"version": version, "state": b"", "yes": True, "no": False, "now": now},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO tasks (id, case_id, element_id, title, priority, escalation, status, created_at)"
                " VALUES ('t1', :case, 'eingang', 'Eingang', 50, :no, 'open', :now)"
            ),
            {"case": case, "no": False, "now": now},
        )
    schema.upgrade(engine)
    with engine.connect() as connection:
        copied = connection.execute(
            text("SELECT case_reference, case_risk_level, case_land, case_escalated FROM tasks")
        ).one()
    engine.dispose()
    assert tuple(copied) == ("2026-00001", "HOCH", "NW", True)
