"""Receiving a message: verify it, store it once, let the domain act on it, sign a receipt.

All of it happens in one transaction: the message is in the inbox, its effect is applied and
its receipt is stored, or none of it is. A message arriving a second time with the same id
and the same bytes gets the first receipt back and changes nothing; the same id with other
bytes is refused as a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hanoi.audit.refusals import record_refusal
from hanoi.audit.service import record
from hanoi.config import DEFAULT_AUDIT_REFUSAL_INTERVAL
from hanoi.crypto.envelope import (
    DEFAULT_SKEW,
    EnvelopeError,
    OpenedMessage,
    Party,
    ReplayedMessage,
    open_message,
)
from hanoi.crypto.receipts import sign_receipt
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.exchange.errors import MessageRejected
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import InboxMessage

Handler = Callable[[Session, OpenedMessage, datetime], str | None]
"""The domain's reaction to a verified message, in the receiving transaction; returns the
id of the request it concerns (or ``None``) and raises :class:`MessageRejected` to refuse."""


@dataclass(frozen=True)
class Received:
    message_id: str
    receipt: str
    duplicate: bool


def receive(
    db: Database,
    node: LocalNode,
    token: bytes,
    *,
    handler: Handler,
    remote_addr: str | None = None,
    now: datetime | None = None,
    refusal_interval: timedelta = DEFAULT_AUDIT_REFUSAL_INTERVAL,
) -> Received:
    """Verify, store and apply one sealed message; return the signed receipt.

    Raises the :class:`EnvelopeError` of the first failed check, or :class:`MessageRejected`;
    either way the refusal is audited (:func:`audit_refusal`) and nothing else is stored.
    """
    now = now or utcnow()
    try:
        opened = open_message(
            token,
            decryption_keys=node.decryption_keys,
            verification_keys=node.peers.signer_keys(),
            expected_recipient=node.state,
            now=now,
            seen=lambda _id: False,  # repeats are recognised below, against the inbox
            skew=DEFAULT_SKEW,
        )
        return _store(db, node, token, opened, handler, now)
    except (EnvelopeError, MessageRejected) as exc:
        audit_refusal(db, exc, remote_addr, now, interval=refusal_interval)
        raise


def _earlier_copy(session: Session, opened: OpenedMessage) -> Received | None:
    row = session.get(InboxMessage, opened.claims.message_id)
    if row is None:
        return None
    if row.token_sha256 != opened.token_sha256:
        raise ReplayedMessage("replay: this message id was received before with other content")
    return Received(row.message_id, row.receipt, duplicate=True)


def _store(
    db: Database,
    node: LocalNode,
    token: bytes,
    opened: OpenedMessage,
    handler: Handler,
    now: datetime,
) -> Received:
    claims = opened.claims
    receiver = Party(node.state, claims.recipient.authority)
    receipt = sign_receipt(
        message_id=claims.message_id,
        message_digest=opened.token_sha256,
        received_at=now,
        receiver=receiver,
        signing_key=node.signing_key,
    )
    try:
        with db.session() as session:
            row = InboxMessage(
                message_id=claims.message_id,
                message_type=claims.message_type,
                sender_state=claims.sender.state,
                sender_authority=claims.sender.authority,
                recipient_authority=claims.recipient.authority,
                in_reply_to=claims.in_reply_to,
                token=token.decode("ascii"),
                token_sha256=opened.token_sha256,
                issued_at=claims.issued_at,
                received_at=now,
                receipt=receipt,
            )
            session.add(row)
            session.flush()  # a copy received before (or concurrently) fails here
            row.request_id = handler(session, opened, now)
            record(
                session,
                actor=f"node:{claims.sender.state}",
                action="message.received",
                target_type="message",
                target_id=claims.message_id,
                detail={
                    "type": claims.message_type,
                    "from": claims.sender.authority,
                    "to": claims.recipient.authority,
                    "request": row.request_id,
                },
                at=now,
            )
    except IntegrityError:  # this message id is in the inbox already
        with db.session() as session:
            earlier = _earlier_copy(session, opened)
        if earlier is None:
            raise
        return earlier
    return Received(claims.message_id, receipt, duplicate=False)


def audit_refusal(
    db: Database,
    exc: Exception,
    remote_addr: str | None,
    now: datetime | None = None,
    *,
    what: str = "message",
    interval: timedelta = DEFAULT_AUDIT_REFUSAL_INTERVAL,
) -> None:
    """Record a refused message (or upload): what was wrong and where it came from, never
    its bytes. Refusals of one kind (the error's class) from one address are counted into
    one row per ``interval`` (:func:`hanoi.audit.record_refusal`)."""
    with db.session() as session:
        record_refusal(
            session,
            action=f"{what}.refused",
            reason=type(exc).__name__,
            source=remote_addr,
            actor="node:unknown",
            target_type=what,
            detail={"reason": str(exc)[:500], "error": type(exc).__name__},
            at=now or utcnow(),
            interval=interval,
        )
