"""Evidence packages sent and received for requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Written by hand, like the others. Only the package's signed manifest, its signature and its
custody graph are stored here; the encrypted payloads stay in the blob store on disk.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIRECTIONS = ("outgoing", "incoming")
STATUSES = ("offered", "transferring", "landed", "sent", "delivered", "failed")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "evidence_packages",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column(
            "request_id",
            sa.String(26),
            sa.ForeignKey("requests.id", name="fk_evidence_packages_request_id_requests"),
            nullable=False,
        ),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("peer_state", sa.CHAR(2), nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("custody", sa.Text, nullable=False),
        sa.Column("bytes_total", sa.BigInteger, nullable=False),
        sa.Column("bytes_done", sa.BigInteger, nullable=False),
        sa.Column("upload_token", sa.String(64), nullable=True),
        sa.Column("upload_token_sha256", sa.String(64), nullable=False),
        sa.Column("offer_message_id", sa.String(26), nullable=False),
        sa.Column("verified", sa.Boolean, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        _timestamp("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("delivered_at", nullable=True),
        sa.CheckConstraint(_one_of("direction", DIRECTIONS), name="ck_evidence_packages_direction"),
        sa.CheckConstraint(_one_of("status", STATUSES), name="ck_evidence_packages_status"),
    )
    op.create_index("ix_evidence_packages_request_id", "evidence_packages", ["request_id"])
    # The evidence worker looks for packages by direction and status every second.
    op.create_index("ix_evidence_packages_status", "evidence_packages", ["direction", "status"])


def downgrade() -> None:
    op.drop_table("evidence_packages")
