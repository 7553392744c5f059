"""The ledger's queue (migration ``0004``): ``ledger_pending``, events appended in their own
transaction and not yet in the tree (the other ledger tables are in
:mod:`hanoi.ledger.models`). The only ledger table rows leave: integration moves them into
``ledger_entries``. Apart, so that recording an event (:mod:`hanoi.ledger.queue`) declares
and maps this table alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from hanoi.db.base import Base, UTCDateTime

# SQLite: an INTEGER PRIMARY KEY is the rowid itself (no second index); PostgreSQL: bigint.
_BIG_KEY = BigInteger().with_variant(Integer(), "sqlite")


class LedgerPending(Base):
    __tablename__ = "ledger_pending"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    detail: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["LedgerPending"]
