"""A request submitted for approval may be discarded before it ever leaves the State.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Written by hand. One status joins the requesting side's life cycle: ``discarded``, final,
for a request awaiting approval or returned for changes that its authority decides not to
send after all (the other State never heard of it, so there is nothing to withdraw).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
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
    "awaiting_approval",
    "returned",
)
STATUSES = (*OLD_STATUSES, "discarded")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint("ck_requests_status", type_="check")
        batch.create_check_constraint("ck_requests_status", _one_of("status", STATUSES))


def downgrade() -> None:
    op.execute("UPDATE requests SET status = 'returned' WHERE status = 'discarded'")
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint("ck_requests_status", type_="check")
        batch.create_check_constraint("ck_requests_status", _one_of("status", OLD_STATUSES))
