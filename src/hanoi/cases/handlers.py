"""What a node does with what other nodes send it: one handler for every message type, one
hook for every receipt. ``hanoi up``, the federation endpoint and the tests use these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hanoi.cases import evidence, evidence_transfer, receiving
from hanoi.crypto.envelope import OpenedMessage
from hanoi.crypto.receipts import Receipt
from hanoi.exchange.delivery import ReceiptHook
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.inbox import Handler
from hanoi.exchange.models import OutboxMessage


def message_handler(node: LocalNode, *, evidence_space_limit: int | None = None) -> Handler:
    """The inbox's handler for this node: evidence messages and request messages.
    ``evidence_space_limit`` is the node's setting of that name (evidence offers)."""

    def handle(session: Session, opened: OpenedMessage, now: datetime) -> str | None:
        if opened.claims.message_type in (evidence.OFFER, evidence.RECEIPT):
            return evidence.apply_evidence_message(
                session, node, opened, now, space_limit=evidence_space_limit
            )
        return receiving.apply_message(session, opened, now)

    return handle


def receipt_hook() -> ReceiptHook:
    """What a receipt from the other node changes here."""

    def on_receipt(session: Session, message: OutboxMessage, receipt: Receipt) -> None:
        if message.message_type == evidence.OFFER:
            evidence_transfer.on_offer_receipt(session, message)
        else:
            receiving.on_receipt(session, message, receipt)

    return on_receipt
