"""Each user may choose the language of their pages.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

Written by hand. ``users.language`` holds one of the six UN languages (``ar``, ``zh``,
``en``, ``fr``, ``ru``, ``es``) or NULL, which means "as the browser asks, else the node's
default" (``HANOI_DEFAULT_LANGUAGE``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
CHECK = f"language IS NULL OR language IN ({', '.join(repr(v) for v in LANGUAGES)})"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch.create_check_constraint("ck_users_language", CHECK)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_language", type_="check")
        batch.drop_column("language")
