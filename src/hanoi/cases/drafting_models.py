"""Before a request leaves: drafts, and the approval rules of the requesting authority.

A draft is a request document an officer is still writing, kept at their authority.

The document is stored as JSON text exactly as the caller validated it; the draft itself
carries only what need-to-know checks and listings require, and a ``version`` that starts at
1 and grows by one per update, so an editor can tell whether someone changed it meanwhile.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.accounts.models import Authority  # noqa: F401 (the tables our foreign keys point at)
from hanoi.db.base import Base, UTCDateTime, new_id, utcnow


class Draft(Base):
    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    document_json: Mapped[str] = mapped_column("document", Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def document(self) -> dict[str, Any]:
        """A fresh copy of the stored document; change it through ``update_draft``."""
        data: dict[str, Any] = json.loads(self.document_json)
        return data

    def __repr__(self) -> str:
        return f"Draft({self.id!r}, {self.kind!r})"


class ApprovalRule(Base):
    """Whether requests of ``kind`` from this authority need a supervisor's approval.

    Only the authority's departures from the default (cases/approval_policy.py) are stored.
    """

    __tablename__ = "approval_rules"

    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    required: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
