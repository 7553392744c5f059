"""Run the Alembic migrations from code, so an installed package needs no ``alembic.ini``.

Migrations are the only way tables come into being (tests included), which keeps SQLite and
PostgreSQL schemas identical and lets every node upgrade itself on start.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from hanoi.db.database import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Arbitrary constant: several app processes starting at once upgrade one after the other.
_PG_MIGRATION_LOCK = 0x48414E4F49


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; a database already there is left alone."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database is at, or ``None`` when it has never been migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Hanoi."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
