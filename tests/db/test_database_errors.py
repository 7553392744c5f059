"""Which database failures pass by themselves (hanoi.db.errors.unavailable), on real
SQLite and PostgreSQL databases: a lock held by another connection is "locked"; a bug, such
as a table that does not exist, is not a passing state."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from hanoi.db import Database
from hanoi.db.errors import DatabaseUnavailable, unavailable
from hanoi.errors import Unavailable


def _locked_error(database_url: str) -> OperationalError:
    """What a write raises while another connection holds the lock it needs."""
    holder, victim = create_engine(database_url), create_engine(database_url)
    sqlite = database_url.startswith("sqlite")
    try:
        with holder.connect() as first:
            first.execute(text("CREATE TABLE probe (n INTEGER)"))
            first.commit()
            if sqlite:
                first.exec_driver_sql("BEGIN EXCLUSIVE")
            else:  # held until the block ends: SQLAlchemy began a transaction
                first.execute(text("LOCK TABLE probe IN ACCESS EXCLUSIVE MODE"))
            with victim.connect() as second, pytest.raises(OperationalError) as caught:
                if sqlite:
                    second.exec_driver_sql("PRAGMA busy_timeout = 0")
                    second.execute(text("INSERT INTO probe VALUES (1)"))
                else:
                    second.execute(text("LOCK TABLE probe IN ACCESS EXCLUSIVE MODE NOWAIT"))
        return caught.value
    finally:
        holder.dispose()
        victim.dispose()


def test_a_locked_database_is_unavailable(database_url: str) -> None:
    failure = unavailable(_locked_error(database_url))
    assert isinstance(failure, DatabaseUnavailable) and isinstance(failure, Unavailable)
    assert failure.check == "locked"
    assert "probe" not in str(failure)  # the driver's words stay out of the answer


def test_a_missing_table_is_not_a_passing_state(database_url: str) -> None:
    database = Database(database_url)
    try:
        with (
            database.engine.connect() as connection,
            pytest.raises((OperationalError, ProgrammingError)) as caught,
        ):
            connection.execute(text("SELECT * FROM no_such_table"))
        if isinstance(caught.value, OperationalError):  # SQLite's kind for it
            assert unavailable(caught.value) is None
    finally:
        database.dispose()
