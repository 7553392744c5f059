"""The outbox as its operator sees it (`hanoi exchange outbox|retry`): the newest messages
with their delivery state, and a quarantined message queued again once what made the other
node refuse it is fixed. Nothing here sends: :mod:`hanoi.exchange.delivery` does, so these
two need neither the transport nor the receipts' proofs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.audit.service import record
from hanoi.db.base import utcnow
from hanoi.exchange.errors import ExchangeError
from hanoi.exchange.models import DeliveryState, OutboxMessage


def list_outbox(
    session: Session, *, status: str | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """The newest messages of the outbox (optionally of one delivery state), newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.seq.desc()).limit(limit)
    if status is not None:
        if status not in {s.value for s in DeliveryState}:
            raise ExchangeError(
                f"unknown delivery state {status!r}; one of pending, delivered, quarantined"
            )
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))


def requeue(
    session: Session, message_id: str, *, actor: str, now: datetime | None = None
) -> OutboxMessage:
    """Put a quarantined message back in the queue (after its cause was fixed)."""
    row = session.scalars(
        select(OutboxMessage).where(OutboxMessage.message_id == message_id)
    ).first()
    if row is None:
        raise ExchangeError(f"no message {message_id} in the outbox")
    if row.status != DeliveryState.QUARANTINED.value:
        raise ExchangeError(f"message {message_id} is {row.status}, not quarantined")
    now = now or utcnow()
    if now >= row.expires_at:
        raise ExchangeError(f"message {message_id} has expired: queue the action again instead")
    row.status = DeliveryState.PENDING.value
    row.next_attempt_at = now
    record(
        session,
        actor=actor,
        action="message.requeued",
        target_type="message",
        target_id=message_id,
        at=now,
    )
    return row
