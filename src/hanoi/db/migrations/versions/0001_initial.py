"""Authorities, users, sign-in throttling, sessions, the append-only audit trail and drafts.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Written by hand rather than generated, so the audit triggers and the checks read the same on
SQLite and PostgreSQL. Later revisions must never edit this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
AUTHORITY_KINDS = (
    "central_authority",
    "point_of_contact_24_7",
    "extradition_authority",
    "competent_authority",
)
ROLES = ("mla_officer", "duty_officer", "supervisor", "auditor", "admin")
APPEND_ONLY = "audit_events is append-only"


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "authorities",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("state", sa.CHAR(2), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _timestamp("created_at"),
        sa.UniqueConstraint("code", name="uq_authorities_code"),
        sa.CheckConstraint(_one_of("kind", AUTHORITY_KINDS), name="ck_authorities_kind"),
        sa.CheckConstraint("length(state) = 2", name="ck_authorities_state"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column(
            "authority_id",
            sa.String(26),
            sa.ForeignKey("authorities.id", name="fk_users_authority_id_authorities"),
            nullable=False,
        ),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger, nullable=True),
        _timestamp("created_at"),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint(_one_of("role", ROLES), name="ck_users_role"),
    )
    op.create_index("ix_users_authority_id", "users", ["authority_id"])
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        _timestamp("locked_until", nullable=True),
        _timestamp("updated_at"),
    )
    op.create_table(
        "user_sessions",
        # SHA-256 (hex) of the session token; the token itself is never stored.
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(26),
            sa.ForeignKey("users.id", name="fk_user_sessions_user_id_users"),
            nullable=False,
        ),
        _timestamp("created_at"),
        _timestamp("last_seen_at"),
        _timestamp("expires_at"),
        _timestamp("revoked_at", nullable=True),
        sa.Column("remote_addr", sa.String(64), nullable=True),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_head_single_row"),
    )
    op.execute(
        sa.text(
            "INSERT INTO audit_chain_head (id, last_hash, length) VALUES (1, :h, 0)"
        ).bindparams(h=GENESIS_HASH)
    )
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        _timestamp("at"),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=True),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("prev_hash", name="uq_audit_events_prev_hash"),
        sa.UniqueConstraint("hash", name="uq_audit_events_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_events_actor", "audit_events", ["actor"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_target", "audit_events", ["target_type", "target_id"])
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column(
            "authority_id",
            sa.String(26),
            sa.ForeignKey("authorities.id", name="fk_drafts_authority_id_authorities"),
            nullable=False,
        ),
        sa.Column(
            "owner_id",
            sa.String(26),
            sa.ForeignKey("users.id", name="fk_drafts_owner_id_users"),
            nullable=False,
        ),
        sa.Column("document", sa.Text, nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.CheckConstraint("version >= 1", name="ck_drafts_version"),
    )
    op.create_index("ix_drafts_authority_id", "drafts", ["authority_id"])
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION hanoi_audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege'; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION hanoi_audit_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION hanoi_audit_events_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS hanoi_audit_events_append_only()")
    for table in (
        "drafts",
        "audit_events",
        "audit_chain_head",
        "user_sessions",
        "sign_in_throttles",
        "users",
    ):
        op.drop_table(table)
    op.drop_table("authorities")
