"""Databases for tests: throwaway PostgreSQL databases, and copies of a migrated template.

Every test still gets a database of its own; what is shared is the work of making one.

- ``throwaway_pg_database()``: a fresh, empty PostgreSQL database on the server named by
  ``HANOI_TEST_PG_ADMIN_URL``; an unreachable server fails the test (never a skip).
  Dropping one forces a checkpoint on the server and can take seconds when the machine is
  busy, so the drop is handed to a background thread (:data:`DROPPER`) and the test moves
  on; ``tests/conftest.py`` waits for every drop at the end of the session.
- :class:`MigratedTemplates`: per backend, one database migrated to head once per test
  process (each xdist worker has its own), then copied for each test: a SQLite file copied
  byte for byte (owner-only, as the node creates it), or a PostgreSQL database created with
  ``CREATE DATABASE ... TEMPLATE``. A copy is what ``upgrade()`` would have produced
  (migrations only create schema objects inside the database), without running Alembic
  for every test. The migrations themselves are tested on empty databases
  (tests/db/test_migrations.py).
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from hanoi.db import upgrade

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TEST_DATABASE_PREFIX = "hanoi_test_"


def pg_admin_url() -> str:
    return os.environ.get("HANOI_TEST_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL)


def _admin_execute(statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def _database_url(name: str) -> str:
    return make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> tuple[str, str]:
    """A new database (empty, or a copy of ``template``): its name and URL. An unreachable
    server fails the test with the address to fix."""
    name = f"{TEST_DATABASE_PREFIX}{secrets.token_hex(6)}"
    statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    unreachable = None
    try:
        _admin_execute(statement)
    except OperationalError as exc:
        unreachable = str(exc.orig).strip().splitlines()[0]
    if unreachable is not None:
        pytest.fail(
            f"PostgreSQL unreachable at {pg_admin_url()} (set HANOI_TEST_PG_ADMIN_URL): "
            f"{unreachable}",
            pytrace=False,
        )
    return name, _database_url(name)


class BackgroundDropper:
    """Drops databases one after the other on a daemon thread; :meth:`wait` blocks until
    every database handed over so far is gone (and re-raises the first failure)."""

    def __init__(self) -> None:
        self._names: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failures: list[BaseException] = []

    def drop_later(self, name: str) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="drop-test-databases", daemon=True
                )
                self._thread.start()
        self._names.put(name)

    def wait(self) -> None:
        self._names.join()
        if self._failures:
            raise self._failures[0]

    def _run(self) -> None:
        while True:
            name = self._names.get()
            try:
                # FORCE: a connection a test left open must not keep its database alive.
                _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except BaseException as exc:  # reported by wait(), at the end of the session
                self._failures.append(exc)
            finally:
                self._names.task_done()


DROPPER = BackgroundDropper()


@contextmanager
def throwaway_pg_database(template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (empty, or a copy of ``template``) for the block; dropped
    afterwards, in the background."""
    name, url = create_pg_database(template)
    try:
        yield url
    finally:
        DROPPER.drop_later(name)


def copy_sqlite_file(source: Path, target: Path) -> None:
    """Copy a closed SQLite database (no ``-wal`` beside it) to a new owner-only file."""
    if source.with_name(source.name + "-wal").exists():
        raise RuntimeError(f"{source} is still open: its -wal file exists")
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out)


class MigratedTemplates:
    """One database at head per backend, made on first use, copied for every test."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: Path | None = None
        self._pg_name: str | None = None
        self._lock = threading.Lock()

    def sqlite_copy(self, target: Path) -> str:
        """A migrated SQLite database at ``target``; returns its URL."""
        with self._lock:
            if self._sqlite is None:
                template = self._folder / "template.db"
                upgrade(f"sqlite:///{template}")
                self._sqlite = template
        copy_sqlite_file(self._sqlite, target)
        return f"sqlite:///{target}"

    @contextmanager
    def pg_copy(self) -> Iterator[str]:
        """A migrated PostgreSQL database for the block (dropped afterwards)."""
        with self._lock:
            if self._pg_name is None:
                name, url = create_pg_database()
                upgrade(url)  # disposes its engine: nobody is connected to the template
                self._pg_name = name
        with throwaway_pg_database(template=self._pg_name) as url:
            yield url

    def close(self) -> None:
        if self._pg_name is not None:
            DROPPER.drop_later(self._pg_name)
            self._pg_name = None
