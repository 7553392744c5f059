"""The ledger's tables (migration ``0004``).

* ``ledger_pending`` (:mod:`hanoi.ledger.queue_models`): events appended in their own
  transaction, not yet in the tree. The only ledger table rows leave: integration moves them
  into ``ledger_entries``. Apart, so that appending an event declares no other ledger table.
* ``ledger_entries``: one row per leaf, ``seq`` its 0-based index; the leaf bytes and hash,
  and the private detail and salt that open the leaf's commitment.
* ``ledger_hashes``: the hash of every full subtree ``(level, idx)`` in tlog-tiles
  numbering, level 0 being the leaf hashes; a proof reads O(log n) of them by primary key.
* ``ledger_checkpoints``: every checkpoint the node signed, with its signed note.
* ``ledger_state``: one row holding the tree size; integrators lock it to take turns.

Entries, hashes and checkpoints refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) in
the database itself; the state row refuses DELETE and any shrinking of the size.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, LargeBinary, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.db.base import Base, UTCDateTime

# SQLite: an INTEGER PRIMARY KEY is the rowid itself (no second index); PostgreSQL: bigint.
_BIG_KEY = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    detail: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    integrated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerHash(Base):
    __tablename__ = "ledger_hashes"
    # Looked up only by its key: on SQLite the table is the key's B-tree itself.
    __table_args__ = ({"sqlite_with_rowid": False},)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerState(Base):
    __tablename__ = "ledger_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


__all__ = ["LedgerCheckpoint", "LedgerEntry", "LedgerHash", "LedgerState"]
