"""Applying a life-cycle action to a stored request: the check and the new status come from
:mod:`hanoi.cases.lifecycle`, the change is stored with its timeline event.

Both nodes go through here for every status change, whether their own officer acted, the
other node's message said so, or a timer fired, so the two copies of a request move alike.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.cases.lifecycle import ActionRequest, Side, Status, apply_action, is_final
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.cases.queries import case_state
from hanoi.cases.timeline import record_event


def apply_transition(
    session: Session,
    case: CaseRequest,
    request: ActionRequest,
    side: Side,
    actor: str,
    now: datetime,
    message_id: str | None = None,
    today: date | None = None,
) -> RequestEvent:
    """Do ``request`` on ``case`` as ``side`` if the life cycle allows it on ``today``
    (default: the day of ``now``), update the preservation it follows, and record the
    event. Raises the life cycle's error otherwise."""
    outcome = apply_action(case_state(case), side, request, today=today or now.date())
    before = case.status
    case.status = outcome.status.value
    case.preserved_until = outcome.preserved_until
    case.updated_at = now
    case.version += 1
    if case.relation in ("follow-up", "partial-disclosure") and case.parent_reference:
        parent = session.scalar(
            select(CaseRequest).where(CaseRequest.reference == case.parent_reference)
        )
        if parent is not None and case.relation == "follow-up" and is_final(outcome.status):
            parent.followup_pending = False  # decided: the preservation may end now
        executed = outcome.status in (Status.EXECUTED, Status.PARTIALLY_EXECUTED)
        if parent is not None and executed and case.relation == "partial-disclosure":
            parent.disclosed = True  # Art. 43 data went out: no refusal any more
    return record_event(
        session, case, actor, side, request.action.value, outcome.detail, now, before, message_id
    )
