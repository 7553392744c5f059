"""Witnessing: other logs' latest checkpoints, split views, our witnesses and cosignatures.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Written by hand. ``witness_logs`` may only grow (no smaller size, no deletion): a witness
never moves backwards, whatever the code above it does. Split views and gathered
cosignatures are append-only, as the ledger's own tables are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("witness_split_views", "witness_cosignatures")
BACKWARDS_REFUSED = "witness_logs never moves backwards"


def _big_key() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "witness_logs",
        sa.Column("origin", sa.String(200), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        _timestamp("updated_at"),
    )
    op.create_table(
        "witness_split_views",
        sa.Column("id", _big_key(), primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("held_note", sa.Text, nullable=False),
        sa.Column("presented_note", sa.Text, nullable=False),
        sa.Column("presented_sha256", sa.LargeBinary, nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        _timestamp("detected_at"),
        sa.UniqueConstraint("origin", "presented_sha256", name="uq_witness_split_views_presented"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "witness_peers",
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("last_size", sa.BigInteger, nullable=False),
        _timestamp("updated_at"),
    )
    op.create_table(
        "witness_cosignatures",
        sa.Column("id", _big_key(), primary_key=True, autoincrement=True),
        sa.Column(
            "checkpoint_id",
            _big_key(),
            sa.ForeignKey("ledger_checkpoints.id", name="fk_witness_cosignatures_checkpoint_id"),
            nullable=False,
        ),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.BigInteger, nullable=False),
        _timestamp("received_at"),
        sa.UniqueConstraint("checkpoint_id", "witness", name="uq_witness_cosignatures_witness"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_witness_cosignatures_checkpoint_id", "witness_cosignatures", ["checkpoint_id"]
    )
    op.create_index("ix_witness_cosignatures_size", "witness_cosignatures", ["size"])
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
            "CREATE TRIGGER witness_logs_no_backwards BEFORE UPDATE ON witness_logs "
            "WHEN NEW.size < OLD.size OR NEW.origin != OLD.origin "
            f"BEGIN SELECT RAISE(ABORT, '{BACKWARDS_REFUSED}'); END"
        )
        op.execute(
            "CREATE TRIGGER witness_logs_no_delete BEFORE DELETE ON witness_logs "
            f"BEGIN SELECT RAISE(ABORT, '{BACKWARDS_REFUSED}'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION hanoi_witness_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; "
        "END $$"
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hanoi_witness_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hanoi_witness_append_only()"
        )
    op.execute(
        "CREATE FUNCTION hanoi_witness_logs_forward() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP <> 'UPDATE' OR NEW.size < OLD.size OR NEW.origin <> OLD.origin THEN "
        f"RAISE EXCEPTION '{BACKWARDS_REFUSED}' USING ERRCODE = 'insufficient_privilege'; "
        "END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER witness_logs_forward BEFORE UPDATE OR DELETE ON witness_logs "
        "FOR EACH ROW EXECUTE FUNCTION hanoi_witness_logs_forward()"
    )
    op.execute(
        "CREATE TRIGGER witness_logs_no_truncate BEFORE TRUNCATE ON witness_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION hanoi_witness_logs_forward()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS hanoi_witness_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS hanoi_witness_logs_forward() CASCADE")
    for table in ("witness_cosignatures", "witness_peers", "witness_split_views", "witness_logs"):
        op.drop_table(table)
