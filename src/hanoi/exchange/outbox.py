"""Queueing a message: sealed at once, stored in the caller's transaction, sent later.

Sealing when the message is queued (not when it is sent) means every retry sends the very
same bytes, so the receiver can recognise a repeat and answer with its first receipt.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hanoi.audit.service import record
from hanoi.crypto.canonical import canonical_json, parse_json
from hanoi.crypto.envelope import MessageClaims, Party, new_message_id, seal_message, token_sha256
from hanoi.db.base import utcnow
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import DeliveryState, OutboxMessage

#: How long a message may wait for delivery before it is quarantined as expired.
MESSAGE_LIFETIME = timedelta(days=3)


def enqueue(
    session: Session,
    node: LocalNode,
    *,
    sender: Party,
    recipient: Party,
    message_type: str,
    payload: dict[str, Any],
    request_id: str | None = None,
    in_reply_to: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Seal ``payload`` (JSON) to ``recipient``'s node and queue it in ``session``.

    Raises :class:`~hanoi.exchange.errors.UnknownPeer` when the directory does not know the
    recipient: nothing is queued, and the caller's transaction should roll back.
    """
    now = now or utcnow()
    if sender.state != node.state:
        raise ValueError(f"this node speaks for {node.state}, not {sender.state}")
    peer = node.peers.peer(recipient.state, now)
    claims = MessageClaims(
        message_id=new_message_id(),
        message_type=message_type,
        sender=sender,
        recipient=recipient,
        issued_at=now,
        expires_at=now + MESSAGE_LIFETIME,
        in_reply_to=in_reply_to,
    )
    token = seal_message(
        canonical_json(payload),
        claims=claims,
        signing_key=node.signing_key,
        recipient_key=peer.encryption_key,
    )
    message = OutboxMessage(
        message_id=claims.message_id,
        request_id=request_id,
        message_type=message_type,
        recipient_state=recipient.state,
        recipient_authority=recipient.authority,
        token=token,
        token_sha256=token_sha256(token),
        status=DeliveryState.PENDING.value,
        attempts=0,
        created_at=now,
        expires_at=claims.expires_at,
        next_attempt_at=now,
    )
    session.add(message)
    record(
        session,
        actor=actor,
        action="message.queued",
        target_type="message",
        target_id=claims.message_id,
        detail={"type": message_type, "to": recipient.authority, "request": request_id},
        at=now,
    )
    session.flush()
    return message


def payload_json(data: bytes) -> dict[str, Any]:
    """A received payload as a JSON object (the sender sealed canonical JSON, so a key twice
    is refused); :class:`MalformedJSON`, a ``ValueError``, for anything else."""
    value = parse_json(data, unique_keys=True)
    if not isinstance(value, dict):
        raise ValueError("the payload is not a JSON object")
    return value
