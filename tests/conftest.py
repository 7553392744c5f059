"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and a seeded node.

Every test that takes ``database_url`` (or ``db``/``seeded_db``) runs twice, once per
backend. The PostgreSQL run creates a throwaway database on the server named by
``HANOI_TEST_PG_ADMIN_URL`` and drops it afterwards; if the server cannot be reached the
test fails, so a missing server is never mistaken for a pass.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# Cheap argon2 parameters for the whole test session (see hanoi.accounts.passwords);
# set before any hasher is built.
os.environ["HANOI_ARGON2_PROFILE"] = "test"

from hanoi.accounts import AuthorityKind, Role, add_user, create_authority
from hanoi.db import Database, upgrade

# The running demo federation (Secretariat, XA, XB, XC) for exchange, CLI and page tests.
pytest_plugins = ["tests.federation"]

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEED_PASSWORD = "correct horse battery"


def _pg_admin_url() -> str:
    return os.environ.get("HANOI_TEST_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL)


@contextmanager
def throwaway_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for the block; dropped afterwards. An unreachable
    server fails the test (never a skip)."""
    admin_url = _pg_admin_url()
    name = f"hanoi_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    unreachable = None
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        unreachable = str(exc.orig).strip().splitlines()[0]
    if unreachable is not None:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL unreachable at {admin_url} (set HANOI_TEST_PG_ADMIN_URL): {unreachable}",
            pytrace=False,
        )
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database's URL: a file under ``tmp_path``, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hanoi.db'}"
        return
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A database migrated to head, as a node would have it after ``hanoi`` starts."""
    upgrade(database_url)
    database = Database(database_url)
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
