"""The custody ledger: pending events, entries, subtree hashes, checkpoints, tree size.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Written by hand, like the others. Entries, hashes and checkpoints are append-only in the
database, as the audit log is: triggers refuse UPDATE and DELETE on both engines, and
TRUNCATE on PostgreSQL. The single state row may only grow.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_hashes", "ledger_checkpoints")
SHRINK_REFUSED = "ledger_state may only grow"


def _big_key() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ledger_pending",
        sa.Column("id", _big_key(), primary_key=True, autoincrement=True),
        sa.Column("leaf", sa.LargeBinary, nullable=False),
        sa.Column("detail", sa.LargeBinary, nullable=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        _timestamp("created_at"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", _big_key(), primary_key=True, autoincrement=False),
        sa.Column("leaf", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
        sa.Column("detail", sa.LargeBinary, nullable=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        _timestamp("created_at"),
        _timestamp("integrated_at"),
    )
    op.create_table(
        "ledger_hashes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", _big_key(), primary_key=True, autoincrement=True),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        _timestamp("created_at"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ledger_checkpoints_size", "ledger_checkpoints", ["size"])
    # A timeline event names its leaf by hash; its proof is found through this index.
    op.create_index("ix_ledger_entries_leaf_hash", "ledger_entries", ["leaf_hash"])
    op.add_column("request_events", sa.Column("ledger_leaf", sa.String(64), nullable=True))
    op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_ledger_state_single_row"),
    )
    op.execute(sa.text("INSERT INTO ledger_state (id, size) VALUES (1, 0)"))
    _create_guards()


def _create_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        op.execute(
            "CREATE TRIGGER ledger_state_no_shrink BEFORE UPDATE ON ledger_state "
            f"WHEN NEW.size < OLD.size OR NEW.id != OLD.id "
            f"BEGIN SELECT RAISE(ABORT, '{SHRINK_REFUSED}'); END"
        )
        op.execute(
            "CREATE TRIGGER ledger_state_no_delete BEFORE DELETE ON ledger_state "
            f"BEGIN SELECT RAISE(ABORT, '{SHRINK_REFUSED}'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION hanoi_ledger_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; "
        "END $$"
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hanoi_ledger_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hanoi_ledger_append_only()"
        )
    op.execute(
        "CREATE FUNCTION hanoi_ledger_state_grows() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP <> 'UPDATE' OR NEW.size < OLD.size OR NEW.id <> OLD.id THEN "
        f"RAISE EXCEPTION '{SHRINK_REFUSED}' USING ERRCODE = 'insufficient_privilege'; "
        "END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER ledger_state_grows BEFORE UPDATE OR DELETE ON ledger_state "
        "FOR EACH ROW EXECUTE FUNCTION hanoi_ledger_state_grows()"
    )
    op.execute(
        "CREATE TRIGGER ledger_state_no_truncate BEFORE TRUNCATE ON ledger_state "
        "FOR EACH STATEMENT EXECUTE FUNCTION hanoi_ledger_state_grows()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS hanoi_ledger_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS hanoi_ledger_state_grows() CASCADE")
    with op.batch_alter_table("request_events") as batch:
        batch.drop_column("ledger_leaf")
    tables = ("ledger_state", "ledger_checkpoints", "ledger_hashes", "ledger_entries")
    for table in (*tables, "ledger_pending"):
        op.drop_table(table)  # SQLite drops a table's triggers with it
    op.drop_table("ledger_pending")
