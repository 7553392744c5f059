"""One :class:`Database` per process: an engine, a session factory and the SQLite pragmas.

SQLite keeps the default driver transaction mode on purpose: a transaction (and its write
lock) starts at the first write, so read-then-audit requests do not fail with a stale
snapshot when another request wrote in between. Writers that must serialise (the audit hash
chain) take their lock with an early write of their own.

A SQLite database file is created owner-only (0600) before SQLite first opens it, in a
directory created 0700 if missing; SQLite gives its ``-wal`` and ``-shm`` files the mode of
the database file, and files left looser by an older version are tightened on start.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hanoi.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

    UpsertInsert = Callable[[Any], sqlite.Insert | postgresql.Insert]

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_DIR_MODE = 0o700
SQLITE_FILE_MODE = 0o600


def normalise_url(url: str) -> str:
    """Route bare PostgreSQL URLs to psycopg 3, the only PostgreSQL driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine configured the way every Hanoi component expects, on either backend."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        prepare_sqlite_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upsert_insert(session: Session) -> UpsertInsert:
    """The ``insert`` of the session's database dialect, whose statements have
    ``on_conflict_do_nothing`` and ``on_conflict_do_update`` (SQLite and PostgreSQL alike).

    Taken from the dialect package the engine has loaded already: a SQLite node never
    imports SQLAlchemy's PostgreSQL dialect (some 30 ms and 2 MiB) to build one statement.
    """
    dialect = importlib.import_module(f"sqlalchemy.dialects.{session.get_bind().dialect.name}")
    insert: UpsertInsert = dialect.insert
    return insert


def prepare_sqlite_file(path: Path) -> None:
    """Make sure the database file exists owner-only (0600), with its journal files.

    A missing parent directory is created 0700. An empty new file is a valid, empty SQLite
    database; creating it ourselves means it never exists with the umask's mode.
    """
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=SQLITE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(parent, SQLITE_DIR_MODE)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, SQLITE_FILE_MODE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            loose = stat.S_IMODE(file.stat().st_mode) & 0o077
        except FileNotFoundError:
            continue
        if loose:
            os.chmod(file, SQLITE_FILE_MODE)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one request writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class Database:
    """A node's database: hand out sessions whose transaction ends with the ``with`` block."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        # Objects stay readable after commit, so services can return them to the web layer.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit when the block succeeds, roll back when it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close pooled connections (tests, shutdown, before dropping a database)."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
