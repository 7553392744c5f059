"""Shared fixtures: a database on SQLite and on PostgreSQL, and a seeded node.

Every test that takes ``database_url`` (empty) or ``db``/``seeded_db`` (migrated to head)
runs twice, once per backend, each time with a database of its own. The PostgreSQL run
creates a throwaway database on the server named by ``HANOI_TEST_PG_ADMIN_URL`` and drops
it afterwards; if the server cannot be reached the test fails, so a missing server is never
mistaken for a pass. A migrated database is a copy of one migrated once per test process
(tests/databases.py explains why that is the same thing, only faster).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Cheap argon2 parameters for the whole test session (see hanoi.accounts.passwords);
# set before any hasher is built.
os.environ["HANOI_ARGON2_PROFILE"] = "test"

# First import of the CLI, made the way a process started from a pipe makes it.
import tests.cli.inprocess  # noqa: F401
from hanoi.accounts.models import AuthorityKind, Role
from hanoi.accounts.service import add_user, create_authority
from hanoi.db import Database
from tests.databases import DROPPER, MigratedTemplates, throwaway_pg_database

# The running demo federation (Secretariat, XA, XB, XC) for exchange, CLI and page tests.
pytest_plugins = ["tests.federation"]

SEED_PASSWORD = "correct horse battery"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Every throwaway PostgreSQL database is gone before the test process ends."""
    DROPPER.wait()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-template"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database's URL: a file under ``tmp_path``, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hanoi.db'}"
        return
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> Iterator[str]:
    """A database of the test's own, already at head: a copy of the migrated template (a
    file under ``tmp_path``, or a fresh PostgreSQL database)."""
    if request.param == "sqlite":
        yield migrated_templates.sqlite_copy(tmp_path / "hanoi.db")
        return
    with migrated_templates.pg_copy() as url:
        yield url


@pytest.fixture
def db(migrated_database_url: str) -> Iterator[Database]:
    """A database migrated to head, as a node would have it after ``hanoi`` starts."""
    database = Database(migrated_database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def seed_password() -> str:
    return SEED_PASSWORD


@pytest.fixture
def seeded_db(db: Database) -> Database:
    """Arcadia's central authority ``XA-CA`` with alice, its 24/7 point ``XA-247`` with bob."""
    with db.session() as session:
        create_authority(
            session,
            state="XA",
            code="XA-CA",
            name="Arcadia Central Authority",
            kind=AuthorityKind.CENTRAL_AUTHORITY,
        )
        create_authority(
            session,
            state="XA",
            code="XA-247",
            name="Arcadia 24/7 Point of Contact",
            kind=AuthorityKind.POINT_OF_CONTACT_24_7,
        )
        add_user(
            session,
            username="alice",
            password=SEED_PASSWORD,
            role=Role.MLA_OFFICER,
            authority_code="XA-CA",
            display_name="Alice Arcadia",
        )
        add_user(
            session,
            username="bob",
            password=SEED_PASSWORD,
            role=Role.DUTY_OFFICER,
            authority_code="XA-247",
            display_name="Bob Arcadia",
        )
    return db


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask (0022), under which new files would be group- and
    world-readable: for tests that show Hanoi makes its files owner-only regardless."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)
