"""Requests this node sent or received, and the events of their timelines.

Drafts and the approval rules, which only the requesting authority's drafting and approval
read, are in :mod:`hanoi.cases.drafting_models`: a command that reads or records a request
does not declare and map them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import CHAR, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hanoi.accounts.models import Authority  # (also: the tables our foreign keys point at)
from hanoi.db.base import Base, UTCDateTime, new_id, utcnow


class CaseRequest(Base):
    """A request this node sent (``side`` requesting) or received (``side`` requested).

    Both nodes keep a copy with the same reference and status; messages between them keep
    the two in step. ``authority_id`` is the local authority that handles it: need-to-know.
    """

    __tablename__ = "requests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    requesting_state: Mapped[str] = mapped_column(CHAR(2))
    requesting_authority: Mapped[str] = mapped_column(String(32))
    requested_state: Mapped[str] = mapped_column(CHAR(2))
    requested_authority: Mapped[str] = mapped_column(String(32))
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    document_json: Mapped[str] = mapped_column("document", Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    conditions_json: Mapped[str] = mapped_column(
        "conditions", Text, default="[]", server_default="[]"
    )
    parent_reference: Mapped[str | None] = mapped_column(String(32), index=True)
    relation: Mapped[str | None] = mapped_column(String(32))
    preserved_until: Mapped[date | None] = mapped_column(Date)
    followup_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Data of this preservation were already disclosed (Art. 43): it can no longer be refused.
    disclosed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: The draft this request was sent from: unique, so one draft makes at most one request.
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("drafts.id"), unique=True)
    #: Who asked for approval (four eyes: never the approver), while it is awaited.
    submitted_by: Mapped[str | None] = mapped_column(String(100))

    # Joined eagerly: listings show which local authority handles each request.
    authority: Mapped[Authority] = relationship(lazy="joined", innerjoin=True)

    @property
    def document(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.document_json)
        return data

    @property
    def conditions(self) -> list[dict[str, str]]:
        data: list[dict[str, str]] = json.loads(self.conditions_json)
        return data

    @property
    def other_state(self) -> str:
        """The other State party to the request: the requested one on the requesting side,
        the requesting one on the requested side."""
        return self.requested_state if self.side == "requesting" else self.requesting_state

    def __repr__(self) -> str:
        return f"CaseRequest({self.reference!r}, {self.status!r})"


#: The actor of what the node does by itself (receipts, lapses, reminders, transfers).
SYSTEM = "system"


class RequestEvent(Base):
    """One line of a request's timeline: who did what, when, and the status it led to."""

    __tablename__ = "request_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    side: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    detail_json: Mapped[str] = mapped_column("detail", Text, default="{}", server_default="{}")
    message_id: Mapped[str | None] = mapped_column(String(26))
    ledger_leaf: Mapped[str | None] = mapped_column(String(64))
    """Hex SHA-256 leaf hash of this event's entry in the node's transparency log."""

    @property
    def detail(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(self.detail_json)
        return data
