"""Requests exchanged with other States, their timelines, and the outbox and inbox between nodes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Written by hand, like 0001. The outbox and inbox hold the sealed tokens exactly as sent and
received, so a node can show a court what passed between two States byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIDES = ("requesting", "requested")
STATUSES = (
    "draft",
    "sent",
    "received",
    "acknowledged",
    "in_execution",
    "executed",
    "partially_executed",
    "refused",
    "postponed",
    "withdrawn",
    "preserved",
    "lapsed",
    "released",
)
OUTBOX_STATES = ("pending", "delivered", "quarantined")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _serial(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("requesting_state", sa.CHAR(2), nullable=False),
        sa.Column("requesting_authority", sa.String(32), nullable=False),
        sa.Column("requested_state", sa.CHAR(2), nullable=False),
        sa.Column("requested_authority", sa.String(32), nullable=False),
        sa.Column(
            "authority_id",
            sa.String(26),
            sa.ForeignKey("authorities.id", name="fk_requests_authority_id_authorities"),
            nullable=False,
        ),
        sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("conditions", sa.Text, nullable=False, server_default="[]"),
        sa.Column("parent_reference", sa.String(32), nullable=True),
        sa.Column("relation", sa.String(32), nullable=True),
        sa.Column("preserved_until", sa.Date, nullable=True),
        sa.Column("followup_pending", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("disclosed", sa.Boolean, nullable=False, server_default=sa.false()),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("received_at", nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("reference", name="uq_requests_reference"),
        sa.CheckConstraint(_one_of("side", SIDES), name="ck_requests_side"),
        sa.CheckConstraint(_one_of("status", STATUSES), name="ck_requests_status"),
        sa.CheckConstraint("version >= 1", name="ck_requests_version"),
    )
    op.create_index("ix_requests_authority_id", "requests", ["authority_id"])
    op.create_index("ix_requests_parent_reference", "requests", ["parent_reference"])
    op.create_table(
        "request_events",
        _serial("id"),
        sa.Column(
            "request_id",
            sa.String(26),
            sa.ForeignKey("requests.id", name="fk_request_events_request_id_requests"),
            nullable=False,
        ),
        _timestamp("at"),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
        sa.Column("message_id", sa.String(26), nullable=True),
        sa.CheckConstraint(_one_of("side", SIDES), name="ck_request_events_side"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_request_events_request_id", "request_events", ["request_id"])
    op.create_table(
        "outbox",
        _serial("seq"),
        sa.Column("message_id", sa.String(26), nullable=False),
        sa.Column("request_id", sa.String(26), nullable=True),
        sa.Column("message_type", sa.String(64), nullable=False),
        sa.Column("recipient_state", sa.CHAR(2), nullable=False),
        sa.Column("recipient_authority", sa.String(32), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        _timestamp("next_attempt_at"),
        _timestamp("lease_until", nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        _timestamp("delivered_at", nullable=True),
        sa.Column("receipt", sa.Text, nullable=True),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
        sa.CheckConstraint(_one_of("status", OUTBOX_STATES), name="ck_outbox_status"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_status", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_request_id", "outbox", ["request_id"])
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.String(26), primary_key=True),
        sa.Column("message_type", sa.String(64), nullable=False),
        sa.Column("sender_state", sa.CHAR(2), nullable=False),
        sa.Column("sender_authority", sa.String(32), nullable=False),
        sa.Column("recipient_authority", sa.String(32), nullable=False),
        sa.Column("in_reply_to", sa.String(26), nullable=True),
        sa.Column("request_id", sa.String(26), nullable=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        _timestamp("issued_at"),
        _timestamp("received_at"),
        sa.Column("receipt", sa.Text, nullable=False),
    )
    op.create_index("ix_inbox_request_id", "inbox", ["request_id"])


def downgrade() -> None:
    for table in ("inbox", "outbox", "request_events", "requests"):
        op.drop_table(table)
