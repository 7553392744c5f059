"""The witness's tables (migration ``0005``), both sides of c2sp.org/tlog-witness.

As a witness of other States' logs:

* ``witness_logs``: per log origin, the latest checkpoint cosigned (size, root, signed note).
  Updated only by compare-and-set on the size and root held; the database refuses any
  shrinking of the size and any deletion, so the witness never moves backwards.
* ``witness_split_views``: two different checkpoints of one log and size, both notes kept as
  evidence; append-only.

As a log gathering cosignatures for its own checkpoints:

* ``witness_peers``: per other State's witness, the size of our log it last said it holds
  (the ``old`` size of the next add-checkpoint request);
* ``witness_cosignatures``: each cosignature line received, for one of our checkpoints;
  append-only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.db.base import Base, UTCDateTime

_BIG_KEY = BigInteger().with_variant(Integer(), "sqlite")


class WitnessLog(Base):
    __tablename__ = "witness_logs"

    origin: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WitnessSplitView(Base):
    __tablename__ = "witness_split_views"
    __table_args__ = (
        UniqueConstraint("origin", "presented_sha256", name="uq_witness_split_views_presented"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    held_note: Mapped[str] = mapped_column(Text)
    presented_note: Mapped[str] = mapped_column(Text)
    presented_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WitnessPeer(Base):
    __tablename__ = "witness_peers"

    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_size: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WitnessCosignature(Base):
    __tablename__ = "witness_cosignatures"
    __table_args__ = (
        UniqueConstraint("checkpoint_id", "witness", name="uq_witness_cosignatures_witness"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(
        _BIG_KEY, ForeignKey("ledger_checkpoints.id"), index=True
    )
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    witness: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["WitnessCosignature", "WitnessLog", "WitnessPeer", "WitnessSplitView"]
