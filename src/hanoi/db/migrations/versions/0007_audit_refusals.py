"""Refusals counted, not audited one by one; the audit chain's verified checkpoint.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09

Written by hand. ``audit_refusal_tallies`` holds the refusals folded into the next summary
row of the audit trail (working state, changed in place, unlike ``audit_events``);
``audit_checkpoint`` is one row: the newest event whose chain was verified, and its hash.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "audit_refusal_tallies",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(64), primary_key=True),
        _timestamp("window_end"),
        sa.Column("folded", sa.BigInteger, nullable=False),
        _timestamp("first_at", nullable=True),
        _timestamp("last_at", nullable=True),
    )
    op.create_index("ix_audit_refusal_tallies_window_end", "audit_refusal_tallies", ["window_end"])
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_hash", sa.String(64), nullable=False),
        _timestamp("verified_at", nullable=True),
        sa.CheckConstraint("id = 1", name="ck_audit_checkpoint_single_row"),
    )
    op.execute(
        sa.text(
            "INSERT INTO audit_checkpoint (id, event_id, event_hash) VALUES (1, 0, :h)"
        ).bindparams(h=GENESIS_HASH)
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    op.drop_index("ix_audit_refusal_tallies_window_end", "audit_refusal_tallies")
    op.drop_table("audit_refusal_tallies")
