"""The outbox and inbox tables (created by migration ``0002``).

The outbox is written in the same transaction as the change that causes a message, so a
state change and its message either both exist or neither does; a worker then delivers it.
The inbox keeps every message received, keyed by message id, which is what makes delivery
idempotent: a second copy of a message finds its first copy and gets the same receipt.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CHAR, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.db.base import Base, UTCDateTime, utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    QUARANTINED = "quarantined"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    message_id: Mapped[str] = mapped_column(String(26), unique=True)
    request_id: Mapped[str | None] = mapped_column(String(26), index=True)
    message_type: Mapped[str] = mapped_column(String(64))
    recipient_state: Mapped[str] = mapped_column(CHAR(2))
    recipient_authority: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(Text)
    token_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt: Mapped[str | None] = mapped_column(Text)
    receipt_leaf: Mapped[str | None] = mapped_column(String(64))
    """The hash (hex) of the receipt's leaf in this node's ledger (migration ``0006``)."""

    def __repr__(self) -> str:
        return f"OutboxMessage({self.message_id!r}, {self.status!r})"


class InboxMessage(Base):
    __tablename__ = "inbox"

    message_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    message_type: Mapped[str] = mapped_column(String(64))
    sender_state: Mapped[str] = mapped_column(CHAR(2))
    sender_authority: Mapped[str] = mapped_column(String(32))
    recipient_authority: Mapped[str] = mapped_column(String(32))
    in_reply_to: Mapped[str | None] = mapped_column(String(26))
    request_id: Mapped[str | None] = mapped_column(String(26), index=True)
    token: Mapped[str] = mapped_column(Text)
    token_sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"InboxMessage({self.message_id!r}, {self.message_type!r})"
