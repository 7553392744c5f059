"""A throwaway PostgreSQL database for a benchmark run (the tests have their own fixture)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_database(admin_url: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database for the block, dropped afterwards; the server is
    ``admin_url``, else ``$HANOI_TEST_PG_ADMIN_URL``, else the local one."""
    admin_url = admin_url or os.environ.get("HANOI_TEST_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL)
    name = f"hanoi_bench_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
