"""Alembic discipline: the migrations build the schema the models declare, and go down and up again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from engine import schema
from engine.models import Base


def test_migrations_match_models_and_reverse(database_url):
    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    schema.downgrade(engine, "base")
    assert not set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
    schema.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()
