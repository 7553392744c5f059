"""Queueing an event in the node's ledger, in the caller's transaction (one INSERT, no tree
work): the event is in the ledger's queue exactly when the change it records is committed.

What every recorder needs (a request's timeline, a delivery's receipt), apart from the tree,
its proofs, checkpoints and checks in :mod:`hanoi.ledger.store` (which integrates the queue,
and exports :func:`append` too): recording an event, as `hanoi evidence seal --request`
does, loads neither them nor the signed notes' code, nor declares the other ledger tables.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from hanoi.db.base import utcnow
from hanoi.ledger.queue_models import LedgerPending
from hanoi.ledger.records import LedgerRecord

_pending = cast(Table, LedgerPending.__table__)


def append(session: Session, record: LedgerRecord) -> int:
    """Queue ``record`` in the caller's transaction; returns its pending id (not its leaf
    index, which :func:`hanoi.ledger.store.integrate` assigns later)."""
    if not isinstance(record, LedgerRecord):
        raise TypeError("append takes a LedgerRecord (see hanoi.ledger.records.new_record)")
    pending_id: int = session.execute(
        insert(_pending)
        .values(
            leaf=record.leaf_bytes,
            detail=record.detail_json,
            salt=record.salt,
            created_at=utcnow(),
        )
        .returning(_pending.c.id)
    ).scalar_one()
    return pending_id


__all__ = ["append"]
