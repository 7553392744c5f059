"""An officer acts on a request their authority handles: a life-cycle action (acknowledge,
preserve, refuse, execute, ...) or a condition on use, recorded and told to the other node
in one transaction.

The life cycle (:mod:`hanoi.cases.lifecycle`) decides whether the action is possible now;
actions the node does by itself (receive, lapse) and the approval steps
(:mod:`hanoi.cases.approval`) are refused here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request, require
from hanoi.cases.conditions import add_condition, dump_conditions, new_condition, parse_conditions
from hanoi.cases.lifecycle import (
    APPROVAL_ACTIONS,
    SYSTEM_ACTIONS,
    Action,
    ActionRequest,
    LifecycleError,
    Side,
)
from hanoi.cases.messages import ACTION, CONDITION, action_payload, tell_other_node
from hanoi.cases.models import CaseRequest
from hanoi.cases.timeline import own_party, record_audit, record_event
from hanoi.cases.transitions import apply_transition
from hanoi.db.base import utcnow
from hanoi.exchange.identity import LocalNode


def act(
    session: Session,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    request: ActionRequest,
    now: datetime | None = None,
) -> CaseRequest:
    """Do ``request`` on a request of the user's authority and tell the other node."""
    now = now or utcnow()
    require(user, Permission.ACT_ON_REQUESTS, "act on requests")
    if request.action == Action.REFUSE:
        require(user, Permission.REFUSE_REQUESTS, "refuse requests")
    case = get_request(session, user=user, reference=reference, record_view=False, lock=True)
    side = Side(case.side)
    if request.action in SYSTEM_ACTIONS:
        raise LifecycleError(
            f"{request.action.value} is done by the node itself",
            check="action",
            action=request.action,
        )
    if request.action in APPROVAL_ACTIONS:
        raise LifecycleError(
            f"{request.action.value} is done through approval, not as an action",
            check="action",
            action=request.action,
        )
    event = apply_transition(session, case, request, side, user.username, now)
    payload = action_payload(request, case.status)
    tell_other_node(session, node, case, ACTION, payload, user.username, now)
    record_audit(session, user.username, f"request.{request.action.value}", case, event.detail, now)
    return case


def attach_condition(
    session: Session,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    kind: str,
    text: str,
    to: str | None = None,
    now: datetime | None = None,
) -> CaseRequest:
    """Attach a condition on use (or, with kind ``onward-transfer`` and ``to``, authorise
    passing the data to a third State) and tell the other node."""
    now = now or utcnow()
    require(user, Permission.ACT_ON_REQUESTS, "attach conditions")
    case = get_request(session, user=user, reference=reference, record_view=False, lock=True)
    own = own_party(case)
    condition = new_condition(
        kind, text, state=own.state, authority=own.authority, at=now.isoformat(), to=to
    )
    case.conditions_json = dump_conditions(
        add_condition(parse_conditions(case.conditions), condition)
    )
    case.updated_at = now
    case.version += 1
    detail = {"kind": kind, "text": condition.text} | ({"to": to} if to else {})
    record_event(
        session, case, user.username, Side(case.side), "condition", detail, now, case.status
    )
    payload = {"condition": condition.to_json()}
    tell_other_node(session, node, case, CONDITION, payload, user.username, now)
    record_audit(session, user.username, "request.condition", case, {"kind": kind, "to": to}, now)
    return case
