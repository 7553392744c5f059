"""What happens to requests with the passing of time, run periodically by the node
(:mod:`hanoi.runtime`): preservations lapse, and deadlines bring reminders and overdue
notes on the timeline.

Each run records only what is new since the last one, so running it twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.cases.lifecycle import Action, ActionRequest, Side, Status, is_final
from hanoi.cases.messages import ACTION, action_payload, tell_other_node
from hanoi.cases.models import SYSTEM, CaseRequest, RequestEvent
from hanoi.cases.queries import request_deadlines
from hanoi.cases.timeline import record_event
from hanoi.cases.transitions import apply_transition
from hanoi.db.base import utcnow
from hanoi.exchange.identity import LocalNode

_FINAL = tuple(status for status in Status if is_final(status))


def lapse_due(session: Session, node: LocalNode, *, now: datetime | None = None) -> list[str]:
    """Preservations whose period has passed, with no follow-up pending, lapse: each is
    recorded and the requesting node told. Returns their references."""
    now = now or utcnow()
    due = session.scalars(
        select(CaseRequest)
        .where(
            CaseRequest.side == Side.REQUESTED.value,
            CaseRequest.status == Status.PRESERVED.value,
            CaseRequest.followup_pending.is_(False),
            CaseRequest.preserved_until < now.date(),
        )
        .with_for_update(of=CaseRequest)
    )
    lapsed = []
    for case in due:
        lapse = ActionRequest(Action.LAPSE)
        apply_transition(session, case, lapse, Side.REQUESTED, SYSTEM, now)
        payload = action_payload(lapse, case.status)
        tell_other_node(session, node, case, ACTION, payload, SYSTEM, now)
        lapsed.append(case.reference)
    return lapsed


def remind_due(
    session: Session, *, now: datetime | None = None, ack_hours_24_7: int | None = None
) -> list[tuple[str, str]]:
    """Record, once per deadline, a ``reminder`` when its reminder time has come and an
    ``overdue`` event when it has passed, on the timeline of every open request. Returns
    (reference, event) pairs recorded now."""
    now = now or utcnow()
    recorded = []
    open_cases = session.scalars(
        select(CaseRequest).where(CaseRequest.status.not_in([s.value for s in _FINAL]))
    )
    for case in open_cases:
        done = {
            (e.action, e.detail.get("rule"), e.detail.get("due"))
            for e in session.scalars(
                select(RequestEvent).where(
                    RequestEvent.request_id == case.id,
                    RequestEvent.action.in_(("reminder", "overdue")),
                )
            )
        }
        for deadline in request_deadlines(case, ack_hours_24_7=ack_hours_24_7):
            what = (
                "overdue"
                if deadline.is_overdue(now)
                else "reminder"
                if deadline.reminder_due(now)
                else None
            )
            if what is None or (what, deadline.rule, deadline.due.isoformat()) in done:
                continue
            detail = {
                "rule": deadline.rule,
                "due": deadline.due.isoformat(),
                "label": deadline.label,
            }
            record_event(session, case, SYSTEM, Side(case.side), what, detail, now, case.status)
            recorded.append((case.reference, what))
    return recorded
