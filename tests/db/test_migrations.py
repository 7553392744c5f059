"""Migrations build the whole schema on both backends, repeatably, matching the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import hanoi
from hanoi.db import HEAD_REVISION, Base, Database, current_revision, head_revision, upgrade
from hanoi.db.models_registry import MODEL_MODULES, all_models_metadata

TABLES = {
    "alembic_version",
    "audit_chain_head",
    "audit_events",
    "authorities",
    "drafts",
    "evidence_packages",
    "inbox",
    "ledger_checkpoints",
    "ledger_entries",
    "ledger_hashes",
    "ledger_pending",
    "ledger_state",
    "outbox",
    "request_events",
    "requests",
    "sign_in_throttles",
    "user_sessions",
    "users",
    "witness_cosignatures",
    "witness_logs",
    "witness_peers",
    "witness_split_views",
}


def _tables(url: str) -> set[str]:
    database = Database(url)
    try:
        return set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()


def test_fresh_database_has_no_revision_and_no_tables(database_url: str) -> None:
    assert current_revision(database_url) is None
    assert _tables(database_url) & TABLES == set()


def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    assert current_revision(database_url) == head_revision() == HEAD_REVISION
    assert _tables(database_url) >= TABLES

    upgrade(database_url)  # a node restarting runs this again: nothing may change or fail

    assert current_revision(database_url) == HEAD_REVISION
    assert _tables(database_url) >= TABLES


def test_an_up_to_date_database_is_recognised_without_alembic(database_url: str) -> None:
    """HEAD_REVISION is Alembic's head; a database at it is opened without importing
    Alembic (the light path a sealing process relies on), an older one is migrated."""
    assert head_revision() == HEAD_REVISION
    upgrade(database_url, "0005")
    script = (
        "import sys; from hanoi.db import upgrade; upgrade(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')[:1])"
    )
    older = subprocess.run(
        [sys.executable, "-c", script, database_url], capture_output=True, text=True, check=True
    )
    assert older.stdout.strip() == "['alembic']"  # it had to migrate
    assert current_revision(database_url) == HEAD_REVISION
    current = subprocess.run(
        [sys.executable, "-c", script, database_url], capture_output=True, text=True, check=True
    )
    assert current.stdout.strip() == "[]"
    # `hanoi db upgrade` then says the revision it left the database at: read alike.
    revision = (
        "import sys; from hanoi.db import current_revision; print(current_revision(sys.argv[1])); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')[:1])"
    )
    said = subprocess.run(
        [sys.executable, "-c", revision, database_url], capture_output=True, text=True, check=True
    )
    assert said.stdout.split() == [HEAD_REVISION, "[]"]


def test_the_registry_lists_every_models_module() -> None:
    """A models module left out of the registry is left out of autogenerate's comparison:
    found here by name, as the convention has it (``models.py``, ``*_models.py``)."""
    package = Path(hanoi.__file__).parent
    found = {
        ".".join(("hanoi", *path.relative_to(package).with_suffix("").parts))
        for path in package.rglob("*.py")
        if path.name == "models.py" or path.name.endswith("_models.py")
    }
    assert found == set(MODEL_MODULES)


def test_every_mapped_class_lives_in_a_registered_module() -> None:
    # A table declared outside the naming convention, in a module imported here anyway.
    all_models_metadata()
    modules = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert modules <= set(MODEL_MODULES)


def test_models_match_the_migrated_schema(db: Database) -> None:
    """No drift between the registered models and a database at head: tables, columns,
    types, nullability, indexes, foreign keys and server defaults."""
    metadata = all_models_metadata()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_autogenerate_proposes_nothing_at_head(db: Database) -> None:
    """``alembic check`` through the real env.py, in a fresh interpreter: only the modules
    env.py itself imports are known there, so a gap in the registry shows as a drop."""
    script = (
        "import sys; from alembic import command; "
        "from hanoi.db.migrate import alembic_config; "
        "config = alembic_config(); config.set_main_option('sqlalchemy.url', sys.argv[1]); "
        "command.check(config)"
    )
    checked = subprocess.run(
        [sys.executable, "-c", script, db.url], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_upgrade_accepts_a_plain_postgresql_url(database_url: str) -> None:
    # Operators write postgresql://...; the psycopg 3 driver must be chosen for them.
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    upgrade(plain)
    assert current_revision(database_url) == HEAD_REVISION


def test_sqlite_database_directory_is_created(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "nested" / "home" / "hanoi.db"
    upgrade(f"sqlite:///{target}")
    assert target.exists()
    engine = create_engine(f"sqlite:///{target}")
    try:
        assert "audit_events" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
