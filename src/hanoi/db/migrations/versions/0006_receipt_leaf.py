"""Receipts in the ledger: each delivered message's receipt names its leaf in the log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08

Written by hand. The leaf hash lets the node hand out the receipt's offline proof.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("receipt_leaf", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("receipt_leaf")
