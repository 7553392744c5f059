"""Four eyes before a request leaves: approval rules, and each request's draft and submitter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Written by hand. ``requests.draft_id`` is unique: one draft makes at most one request, so a
draft can never be sent twice, whatever the pages or the API are asked. Two statuses join
the requesting side's life cycle (awaiting_approval, returned).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = (
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
STATUSES = (*OLD_STATUSES, "awaiting_approval", "returned")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("draft_id", sa.String(26), nullable=True))
        batch.add_column(sa.Column("submitted_by", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_requests_draft_id", ["draft_id"])
        batch.create_foreign_key("fk_requests_draft_id_drafts", "drafts", ["draft_id"], ["id"])
        batch.drop_constraint("ck_requests_status", type_="check")
        batch.create_check_constraint("ck_requests_status", _one_of("status", STATUSES))
    op.create_table(
        "approval_rules",
        sa.Column(
            "authority_id",
            sa.String(26),
            sa.ForeignKey("authorities.id", name="fk_approval_rules_authority_id_authorities"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("approval_rules")
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint("ck_requests_status", type_="check")
        batch.create_check_constraint("ck_requests_status", _one_of("status", OLD_STATUSES))
        batch.drop_constraint("fk_requests_draft_id_drafts", type_="foreignkey")
        batch.drop_constraint("uq_requests_draft_id", type_="unique")
        batch.drop_column("submitted_by")
        batch.drop_column("draft_id")
