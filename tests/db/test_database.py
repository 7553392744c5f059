"""Sessions commit or roll back with their block; times come back aware UTC everywhere."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from hanoi.accounts.models import Authority, AuthorityKind
from hanoi.config import load_settings
from hanoi.db import Database, prepare_sqlite_file, upgrade


def _authority(code: str, created_at: datetime | None = None) -> Authority:
    authority = Authority(
        state="XA", code=code, name="Test", kind=AuthorityKind.COMPETENT_AUTHORITY
    )
    if created_at is not None:
        authority.created_at = created_at
    return authority


def test_session_commits_when_the_block_succeeds(db: Database) -> None:
    with db.session() as session:
        session.add(_authority("XA-ONE"))
    with db.session() as session:
        assert session.scalar(select(Authority.code)) == "XA-ONE"


def test_session_rolls_back_when_the_block_raises(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(_authority("XA-TWO"))
        session.flush()
        raise RuntimeError("boom")
    with db.session() as session:
        assert session.scalar(select(Authority.code)) is None


def test_objects_stay_readable_after_the_session_ends(db: Database) -> None:
    with db.session() as session:
        authority = _authority("XA-KEEP")
        session.add(authority)
    assert authority.code == "XA-KEEP"
    assert authority.id


def test_times_are_stored_as_utc_and_returned_aware(db: Database) -> None:
    hanoi_time = timezone(timedelta(hours=7))
    moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=hanoi_time)
    with db.session() as session:
        session.add(_authority("XA-TIME", created_at=moment))
    with db.session() as session:
        stored = session.scalar(select(Authority.created_at))
    assert stored == moment
    assert stored is not None and stored.tzinfo is UTC
    assert stored.hour == 2


def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:
        session.add(_authority("XA-NAIVE", created_at=datetime(2026, 1, 1, 12, 0)))
        session.flush()


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as session:
        session.execute(
            text(
                "INSERT INTO drafts (id, kind, authority_id, owner_id, document, created_at,"
                " updated_at) VALUES ('D1', 'x', 'nope', 'nope', '{}', :t, :t)"
            ),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        database.dispose()


def test_database_from_settings_uses_the_node_home(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "node")
    upgrade(settings.database_url)
    database = Database.from_settings(settings)
    try:
        assert database.dialect == "sqlite"
        assert (tmp_path / "node" / "hanoi.db").exists()
    finally:
        database.dispose()


# SQLite files are owner-only.


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("loose_umask")
def test_new_sqlite_database_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "fresh" / "home" / "hanoi.db"
    upgrade(f"sqlite:///{target}")
    database = Database(f"sqlite:///{target}")
    try:
        with database.session() as session:
            session.add(_authority("XA-PERM"))
        with database.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            wal, shm = (target.with_name(target.name + suffix) for suffix in ("-wal", "-shm"))
            assert wal.exists() and shm.exists()
            assert [_mode(p) for p in (target, wal, shm)] == [0o600, 0o600, 0o600]
    finally:
        database.dispose()
    assert _mode(target.parent) == 0o700
    assert _mode(target) == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_existing_loose_sqlite_files_are_tightened(tmp_path: Path) -> None:
    target = tmp_path / "old.db"
    files = [target, target.with_name("old.db-wal"), target.with_name("old.db-shm")]
    older = sqlite3.connect(target)  # as an older Hanoi (or an operator) left it
    try:
        older.execute("PRAGMA journal_mode=WAL")
        older.execute("CREATE TABLE t (x)")
        older.commit()
        for path in files:
            os.chmod(path, 0o644)
        prepare_sqlite_file(target)
        assert [_mode(p) for p in files] == [0o600, 0o600, 0o600]
    finally:
        older.close()


@pytest.mark.usefixtures("loose_umask")
def test_existing_database_directory_is_left_alone(tmp_path: Path) -> None:
    home = tmp_path / "shared"
    home.mkdir(mode=0o755)
    prepare_sqlite_file(home / "hanoi.db")
    assert _mode(home) == 0o755
    assert _mode(home / "hanoi.db") == 0o600


def test_drafts_version_cannot_be_below_one(seeded_db: Database) -> None:
    with seeded_db.session() as session:
        authority_id, owner_id = session.execute(
            text("SELECT authority_id, id FROM users WHERE username = 'alice'")
        ).one()
    with pytest.raises(IntegrityError), seeded_db.session() as session:
        session.execute(
            text(
                "INSERT INTO drafts (id, kind, authority_id, owner_id, document, created_at,"
                " updated_at, version) VALUES ('D1', 'x', :a, :o, '{}', :t, :t, 0)"
            ),
            {"a": authority_id, "o": owner_id, "t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
