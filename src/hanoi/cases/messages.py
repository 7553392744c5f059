"""What the messages about a request between two nodes carry: their payload format, their
types, and an action's fields in both directions.

Every payload names :data:`PAYLOAD_FORMAT` and the request's reference (added when the
message is queued, :func:`hanoi.cases.timeline.tell_other_node`). A submission carries the
document, a condition message one condition, and an action message the action with its
reason, ground and date and the status it led to on the sender, which the receiver must
reach too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hanoi.cases.lifecycle import Action, ActionRequest

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
