"""Schema migrations with Alembic, callable from the CLI and from tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from engine.store import (
    access_tables,
    account_tables,
    channel_tables,
    evidence_tables,
    failure_tables,
    person_tables,
    referral_tables,
    session_tables,
    setting_tables,
    statistics_tables,
    tables,
)
from engine.store.vault import Vault

MIGRATIONS = Path(__file__).parent / "migrations"
# Every module that declares tables: importing them all here makes METADATA complete (Alembic's
# autogenerate and the tests read it; tables.py does not import the others).
TABLE_MODULES = (
    tables,
    referral_tables,
    session_tables,
    account_tables,
    person_tables,
    failure_tables,
    access_tables,
    evidence_tables,
    statistics_tables,
    channel_tables,
    setting_tables,
)
METADATA: MetaData = tables.Base.metadata


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head", vault: Vault | None = None) -> None:
    """Migrate up; ``vault`` is for migrations that seal or open stored content (without it they read
    the keys from the environment, as Alembic run on its own does, and only if there is content)."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes.update(connection=connection, vault=vault)
        command.upgrade(config, revision)
    _checkpoint(engine)


def downgrade(engine: Engine, revision: str, vault: Vault | None = None) -> None:
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes.update(connection=connection, vault=vault)
        command.downgrade(config, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration (for developers; review the result before committing)."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def _checkpoint(engine: Engine) -> None:
    """On SQLite, copy the write-ahead log into the database file and empty it, so the old versions of
    rows a migration rewrote (clear text it sealed) do not linger in the log (freed pages are zeroed:
    ``secure_delete``). Best effort: a reader still open elsewhere can keep part of the log for now."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        raw = connection.connection.driver_connection  # outside a transaction, as the pragma needs
        if raw is not None:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
