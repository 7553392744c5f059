"""Sending and waiting in exchange tests, through the service API the CLI and pages use."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases.approval import approve
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.handlers import receipt_hook
from hanoi.cases.lifecycle import Status
from hanoi.cases.models import CaseRequest
from hanoi.cases.sending import send_request
from hanoi.demo.scenario import example_document
from hanoi.demo.serving import ServedNode
from hanoi.exchange.delivery import DeliveryReport, deliver_due
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import DeliveryState, InboxMessage, OutboxMessage
from hanoi.exchange.transport import HttpTransport


def preservation(**changes: Any) -> dict[str, Any]:
    return example_document("preservation", date_of_request=date.today().isoformat(), **changes)


def queue_request(
    node: ServedNode, username: str = "duty", document: dict[str, Any] | None = None
) -> str:
    """Queue a request at ``node`` without waking its worker; return the reference."""
    runtime = node.runtime
    assert runtime.node is not None
    with runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        case = send_request(
            session,
            runtime.node,
            user=user,
            document=parse_document_obj(document or preservation()),
        )
        approve_if_waiting(session, runtime.node, case)
        return case.reference


def approve_if_waiting(session: Session, local: LocalNode, case: CaseRequest) -> None:
    """MLA, extradition and confiscation wait for four eyes by default: where ``case``
    does, the demo node's supervisor approves it (it is then queued)."""
    if case.status == Status.AWAITING_APPROVAL:
        supervisor = get_user_by_username(session, "supervisor")
        assert supervisor is not None and case.submitted_by != supervisor.username
        approve(session, local, user=supervisor, reference=case.reference)


def deliver_now(node: ServedNode, **kwargs: Any) -> DeliveryReport:
    runtime = node.runtime
    assert runtime.node is not None
    transport = HttpTransport()
    try:
        return deliver_due(runtime.db, runtime.node, transport, on_receipt=receipt_hook(), **kwargs)
    finally:
        transport.close()


def outbox(node: ServedNode) -> list[OutboxMessage]:
    with node.runtime.db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq)))


def inbox(node: ServedNode) -> list[InboxMessage]:
    with node.runtime.db.session() as session:
        return list(session.scalars(select(InboxMessage)))


def status(node: ServedNode, reference: str) -> str | None:
    with node.runtime.db.session() as session:
        return session.scalar(select(CaseRequest.status).where(CaseRequest.reference == reference))


def count_requests(node: ServedNode) -> int:
    with node.runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(CaseRequest)) or 0)


def wait_delivered(node: ServedNode, timeout: float = 60.0) -> list[OutboxMessage]:
    """Wait until nothing is pending in ``node``'s outbox; return the outbox."""
    deadline = time.monotonic() + timeout
    while True:
        rows = outbox(node)
        if all(r.status != DeliveryState.PENDING.value for r in rows):
            return rows
        assert time.monotonic() < deadline, (
            f"still pending: {[r.last_error for r in rows if r.status == 'pending'][:3]}"
        )
        if node.runtime.worker is not None:
            node.runtime.worker.wake()
        time.sleep(0.05)
