"""Evidence packages delivered for a request, on either side (created by migration ``0003``).

One row per package per node: on the requested State's node the package it sends
(``outgoing``), on the requesting State's node the package it receives (``incoming``). The
manifest, its signature and the custody graph are kept as the exact bytes of the package
files; the encrypted payloads live in the node's blob store (:mod:`hanoi.evidence.blobs`),
named by their SHA-256, so the database never holds evidence content.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CHAR, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.db.base import Base, UTCDateTime, utcnow
from hanoi.evidence.manifest import Manifest, parse_manifest


class Direction(StrEnum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"


class PackageStatus(StrEnum):
    OFFERED = "offered"
    """Outgoing: the signed offer is queued for the other node."""
    TRANSFERRING = "transferring"
    """The offer was received: payloads are being uploaded (or awaited)."""
    LANDED = "landed"
    """Incoming: every payload arrived and matched its hash; the package awaits its check."""
    SENT = "sent"
    """Outgoing: every payload was accepted; the receiver's signed receipt is awaited."""
    DELIVERED = "delivered"
    """Verified by the receiving node, and (outgoing) its receipt stored."""
    FAILED = "failed"
    """Stopped for good; ``last_error`` says why."""


class EvidencePackage(Base):
    __tablename__ = "evidence_packages"
    __table_args__ = (Index("ix_evidence_packages_status", "direction", "status"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    """The package id of the signed manifest."""
    # The requests table by name: evidence/ imports nothing of cases/ (the migrations and
    # every process that uses this model load both).
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    peer_state: Mapped[str] = mapped_column(CHAR(2))
    manifest_text: Mapped[str] = mapped_column("manifest", Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    custody: Mapped[str] = mapped_column(Text)
    bytes_total: Mapped[int] = mapped_column(BigInteger)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    upload_token: Mapped[str | None] = mapped_column(String(64))
    """Sender only: the secret that authorises the uploads, sent inside the signed offer."""
    upload_token_sha256: Mapped[str] = mapped_column(String(64))
    offer_message_id: Mapped[str] = mapped_column(String(26))
    verified: Mapped[bool | None] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def manifest(self) -> Manifest:
        return parse_manifest(self.manifest_text.encode("utf-8"))

    @property
    def custody_graph(self) -> dict[str, object]:
        graph: dict[str, object] = json.loads(self.custody)
        return graph

    def __repr__(self) -> str:
        return f"EvidencePackage({self.id!r}, {self.direction!r}, {self.status!r})"
