"""Writing down what happens to a request: an event on its timeline (logged in the node's
transparency log) and an audit row; the message that tells the other State's node is
queued by :func:`hanoi.cases.messages.tell_other_node`.

All three join the caller's transaction, so a change, its record and its message are
committed together or not at all. Requests (sending, acting, receiving, timers) and
evidence (sealing, delivery, transfer) record through here, so every timeline event reaches
the log under the same rules. Recording alone (sealing evidence) loads neither the outbox
nor the life cycle's rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.cases.status import Side
from hanoi.crypto.envelope_base import Party
from hanoi.ledger import merkle
from hanoi.ledger import queue as ledger_queue
from hanoi.ledger.records import new_record

#: Timeline actions that the transparency log records under a kind of their own; every
#: other action changes a request's state and is logged as a status change.
LEDGER_KINDS = {
    "send": "request-sent",
    "evidence-sealed": "evidence-sealed",
    "evidence-uploaded": "evidence-delivered",
    "evidence-received": "evidence-received",
    "evidence-delivered": "receipt",
    "evidence-opened": "evidence-opened",
    "evidence-file-opened": "evidence-opened",
}


def own_party(case: CaseRequest) -> Party:
    """This node's State and authority in ``case``."""
    if case.side == Side.REQUESTING.value:
        return Party(case.requesting_state, case.requesting_authority)
    return Party(case.requested_state, case.requested_authority)


def counterpart(case: CaseRequest) -> Party:
    """The other State and its authority in ``case``."""
    if case.side == Side.REQUESTING.value:
        return Party(case.requested_state, case.requested_authority)
    return Party(case.requesting_state, case.requesting_authority)


def record_event(
    session: Session,
    case: CaseRequest,
    actor: str,
    side: Side,
    action: str,
    detail: Mapping[str, str],
    now: datetime,
    from_status: str | None = None,
    message_id: str | None = None,
) -> RequestEvent:
    """Add ``action`` to the timeline of ``case`` (at its current status) and queue its
    entry in the transparency log, whose leaf hash the event keeps."""
    event = RequestEvent(
        request_id=case.id,
        at=now,
        actor=actor[:100],
        side=side.value,
        action=action,
        from_status=from_status,
        to_status=case.status,
        detail_json=json.dumps(dict(detail), ensure_ascii=False, sort_keys=True),
        message_id=message_id,
    )
    session.add(event)
    session.flush()
    event.ledger_leaf = _log_event(session, case, event)
    return event


def _log_event(session: Session, case: CaseRequest, event: RequestEvent) -> str:
    """Queue the event in the node's transparency log, in the same transaction; the log
    holds only a salted commitment to this detail. Returns the leaf hash (hex)."""
    kind = LEDGER_KINDS.get(event.action, "status-change")
    if event.action == "receive" and event.side == Side.REQUESTED.value:
        kind = "request-received"  # on the requesting side, the exchange logs the receipt
    node = own_party(case).state
    detail = {
        "request": case.reference,
        "event": event.id,
        "action": event.action,
        "side": event.side,
        "actor": event.actor,
        "status": event.to_status,
        "message": event.message_id,
        "detail": event.detail,
    }
    record = new_record(kind, node, detail, at=event.at)
    ledger_queue.append(session, record)
    return merkle.leaf_hash(record.leaf_bytes).hex()


def record_audit(
    session: Session,
    actor: str,
    action: str,
    case: CaseRequest,
    detail: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    """An audit row about ``case``, in this transaction."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="request",
        target_id=case.reference,
        detail=detail,
        at=now,
    )
