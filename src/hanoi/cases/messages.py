"""The messages about a request between two nodes: their payload format, their types, an
action's fields in both directions, and queuing one in the outbox.

Every payload names :data:`PAYLOAD_FORMAT` and the request's reference (added when the
message is queued, :func:`tell_other_node`). A submission carries the document, a condition
message one condition, and an action message the action with its reason, ground and date
and the status it led to on the sender, which the receiver must reach too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from hanoi.cases.lifecycle import Action, ActionRequest
from hanoi.cases.models import CaseRequest
from hanoi.cases.timeline import counterpart, own_party
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import OutboxMessage
from hanoi.exchange.outbox import enqueue

PAYLOAD_FORMAT = "hanoi-request-message/1"
SUBMIT = "request.submit"
ACTION = "request.action"
CONDITION = "request.condition"


def action_payload(request: ActionRequest, status: str) -> dict[str, Any]:
    """An action message's fields: ``request`` took the request to ``status``."""
    return {
        "action": request.action.value,
        "reason": request.reason,
        "ground": request.ground,
        "until": request.until.isoformat() if request.until else None,
        "status": status,
    }


def parse_action_payload(payload: dict[str, Any]) -> ActionRequest:
    """The action an action message asks for; a missing or ill-typed field raises
    ``KeyError``, ``ValueError`` or ``TypeError``, which the receiver turns into a refusal."""
    until = payload.get("until")
    return ActionRequest(
        action=Action(payload["action"]),
        reason=payload.get("reason"),
        ground=payload.get("ground"),
        until=date.fromisoformat(until) if until else None,
    )


def tell_other_node(
    session: Session,
    node: LocalNode,
    case: CaseRequest,
    message_type: str,
    payload: Mapping[str, Any],
    actor: str,
    now: datetime,
) -> OutboxMessage:
    """Queue a message about ``case`` to the other State's node, in this transaction."""
    return enqueue(
        session,
        node,
        sender=own_party(case),
        recipient=counterpart(case),
        message_type=message_type,
        payload={"format": PAYLOAD_FORMAT, "reference": case.reference, **payload},
        request_id=case.id,
        actor=actor,
        now=now,
    )
