"""Alembic environment: the connection comes from the caller (engine.store.schema.upgrade) or from LOTSE_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from engine.kernel.settings import migration_database_url
from engine.store.schema import METADATA

config = context.config
target_metadata = METADATA


def run_migrations_offline() -> None:
    context.configure(url=migration_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(migration_database_url())
    with engine.connect() as fresh:
        _run(fresh)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
