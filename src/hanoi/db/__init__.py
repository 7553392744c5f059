"""Database access for every domain: the model base, sessions and migrations.

Alembic (with Mako and Pygments, some 11 MiB) is imported only when a migration has to run:
:func:`upgrade` recognises a database already at :data:`HEAD_REVISION` with one query, so
a command that opens an up-to-date database, such as sealing a large file, stays light.
"""

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hanoi.db.base import Base, UTCDateTime, new_id, utcnow
from hanoi.db.database import Database, make_engine, normalise_url, prepare_sqlite_file

HEAD_REVISION = "0011"
"""The newest migration shipped (tests/db/test_migrations.py checks that it is Alembic's
head): bump it with every new revision."""


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (:func:`hanoi.db.migrate.upgrade`);
    a database already at the head is left alone without loading Alembic."""
    if revision == "head" and _recorded_revision(url) == HEAD_REVISION:
        return
    from hanoi.db import migrate

    migrate.upgrade(url, revision)


def current_revision(url: str) -> str | None:
    """The revision the database is at, or ``None`` when it has never been migrated.

    One row in ``alembic_version`` is the answer, read without loading Alembic; anything
    else (no table, several rows) is left to Alembic to say."""
    recorded = _recorded_revision(url)
    if recorded is not None:
        return recorded
    from hanoi.db import migrate

    return migrate.current_revision(url)


def head_revision() -> str | None:
    """The newest revision of the migration scripts, as Alembic reads them."""
    from hanoi.db import migrate

    return migrate.head_revision()


def _recorded_revision(url: str) -> str | None:
    """What the database's ``alembic_version`` says, or ``None`` (no table, no database, or
    several rows: Alembic then decides)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return None
    finally:
        engine.dispose()
    return str(rows[0][0]) if len(rows) == 1 else None


__all__ = [
    "HEAD_REVISION",
    "Base",
    "Database",
    "UTCDateTime",
    "current_revision",
    "head_revision",
    "make_engine",
    "new_id",
    "normalise_url",
    "prepare_sqlite_file",
    "upgrade",
    "utcnow",
]
