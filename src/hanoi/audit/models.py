"""The audit trail: one row per thing someone did, chained by SHA-256.

Rows are append-only; the database itself refuses UPDATE and DELETE (triggers in migration
``0001``). Each row's ``hash`` covers its content and the previous row's hash, so a row
changed behind the triggers' back no longer matches (:func:`hanoi.audit.verify_chain`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.db.base import Base, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"
    # AUTOINCREMENT on SQLite: an id is never handed out twice, even after the newest row.
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def detail_data(self) -> dict[str, Any] | None:
        """``detail`` parsed back from its canonical JSON text."""
        if self.detail is None:
            return None
        data: dict[str, Any] = json.loads(self.detail)
        return data

    def compute_hash(self) -> str:
        """The hash this row must carry, given its content and ``prev_hash``."""
        return chain_hash(
            self.prev_hash,
            {
                "at": self.at.isoformat(),
                "actor": self.actor,
                "action": self.action,
                "target_type": self.target_type,
                "target_id": self.target_id,
                "detail": self.detail,
                "remote_addr": self.remote_addr,
            },
        )

    def __repr__(self) -> str:
        return f"AuditEvent({self.id}, {self.actor!r}, {self.action!r})"


class AuditChainHead(Base):
    """The single row naming the chain's newest hash.

    Writers update it before reading it, which serialises them on both backends: on SQLite
    the update takes the database write lock, on PostgreSQL the row lock.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(String(64))
    length: Mapped[int] = mapped_column(BigInteger)


class AuditRefusalTally(Base):
    """Refusals of one kind from one address, counted instead of audited one by one.

    The first refusal is audited at once and opens a window until ``window_end``; later ones
    before it only add to ``folded`` (and stretch ``first_at``..``last_at``). The count is
    written as one summary row when the window has closed (:mod:`hanoi.audit.refusals`).
    Rows here are working state, never evidence: the audit rows are.
    """

    __tablename__ = "audit_refusal_tallies"

    #: The client's address; "" when the refusal came with none.
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    folded: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditCheckpoint(Base):
    """The single row naming the newest event whose chain was verified, and its hash.

    Routine checks verify only the events after it; the hash kept here also catches a rewrite
    of everything up to the checkpoint that recomputed every hash. ``hanoi audit verify
    --full`` checks the whole chain from genesis.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 text: equal data, equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    payload = canonical_json({"prev_hash": prev_hash, **content}).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()
