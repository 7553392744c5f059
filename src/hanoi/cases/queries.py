"""Reading requests for the pages and the CLI: the list of an authority's requests, what a
user may do to one now, its deadlines, its timeline, and the proofs its timeline links to.

Nothing here changes a request. A single request is fetched, with need-to-know, by
:func:`hanoi.cases.access.get_request`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.access import require
from hanoi.cases.deadlines import CaseTimes, Deadline, deadlines
from hanoi.cases.lifecycle import Action, CaseState, Side, Status, user_actions
from hanoi.cases.models import SYSTEM, CaseRequest, RequestEvent
from hanoi.exchange.models import DeliveryState, InboxMessage, OutboxMessage

Box = Literal["all", "inbox", "outbox"]


def list_requests(session: Session, *, user: User, box: Box = "all") -> list[CaseRequest]:
    """The requests of the user's authority, newest first; ``inbox`` = received,
    ``outbox`` = sent."""
    require(user, Permission.READ_REQUESTS, "read requests")
    query = select(CaseRequest).where(CaseRequest.authority_id == user.authority_id)
    if box == "inbox":
        query = query.where(CaseRequest.side == Side.REQUESTED.value)
    elif box == "outbox":
        query = query.where(CaseRequest.side == Side.REQUESTING.value)
    return list(
        session.scalars(query.order_by(CaseRequest.created_at.desc(), CaseRequest.reference.desc()))
    )


def case_state(case: CaseRequest) -> CaseState:
    """What the life cycle needs of a stored request."""
    return CaseState(
        kind=case.kind,
        status=Status(case.status),
        preserved_until=case.preserved_until,
        followup_pending=case.followup_pending,
        disclosed=case.disclosed,
    )


def allowed_actions(case: CaseRequest, user: User, *, today: date) -> list[Action]:
    """What this user may do to this request now: its life cycle and the user's role."""
    if not allowed(user.role, Permission.ACT_ON_REQUESTS):
        return []
    actions = user_actions(case_state(case), Side(case.side), today=today)
    if not allowed(user.role, Permission.REFUSE_REQUESTS):
        actions = [a for a in actions if a != Action.REFUSE]
    return actions


def request_deadlines(case: CaseRequest, *, ack_hours_24_7: int | None = None) -> list[Deadline]:
    """The deadlines of the stored request (:mod:`hanoi.cases.deadlines`)."""
    return deadlines(
        CaseTimes(
            kind=case.kind,
            status=Status(case.status),
            urgent=case.urgent,
            to_point_of_contact=case.requested_authority.endswith("-247")
            or (
                case.side == Side.REQUESTED.value and case.authority.kind == "point_of_contact_24_7"
            ),
            received_at=case.received_at,
            preserved_until=case.preserved_until,
            followup_pending=case.followup_pending,
        ),
        ack_hours_24_7=ack_hours_24_7,
    )


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    what: str
    actor: str
    status: str | None = None
    detail: dict[str, str] = field(default_factory=dict)
    ledger_leaf: str | None = None
    """Hex leaf hash of the event's entry in this node's transparency log (events only)."""
    receipt_of: str | None = None
    """The message id whose signed receipt this item is (logged receipts only: those stored
    before receipts were logged have no proof)."""


def timeline(session: Session, case: CaseRequest) -> list[TimelineItem]:
    """Every status change, message and receipt of the request, oldest first."""
    items = [
        TimelineItem(e.at, e.action, e.actor, e.to_status, e.detail, e.ledger_leaf)
        for e in session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == case.id).order_by(RequestEvent.id)
        )
    ]
    for out in session.scalars(select(OutboxMessage).where(OutboxMessage.request_id == case.id)):
        detail = {
            "message": out.message_id,
            "type": out.message_type,
            "to": out.recipient_authority,
            "delivery": out.status,
            "attempts": str(out.attempts),
        }
        if out.last_error:
            detail["error"] = out.last_error
        items.append(TimelineItem(out.created_at, "message sent", SYSTEM, None, detail))
        if out.delivered_at is not None:
            items.append(
                TimelineItem(
                    out.delivered_at,
                    "receipt",
                    out.recipient_authority,
                    None,
                    {"message": out.message_id, "signed receipt": "verified"},
                    receipt_of=out.message_id if out.receipt_leaf else None,
                )
            )
    for inc in session.scalars(select(InboxMessage).where(InboxMessage.request_id == case.id)):
        detail = {"message": inc.message_id, "type": inc.message_type, "from": inc.sender_authority}
        items.append(
            TimelineItem(inc.received_at, "message received", inc.sender_authority, None, detail)
        )
    return sorted(items, key=lambda item: item.at)


def receipt_message(session: Session, case: CaseRequest, message_id: str) -> str | None:
    """``message_id`` if it is a message this node delivered for ``case``."""
    found = session.scalar(
        select(OutboxMessage.message_id).where(
            OutboxMessage.request_id == case.id,
            OutboxMessage.message_id == message_id,
            OutboxMessage.status == DeliveryState.DELIVERED.value,
        )
    )
    return str(found) if found else None


def event_leaf(session: Session, case: CaseRequest, leaf: str) -> bytes | None:
    """The leaf hash ``leaf`` (hex) if it is the log entry of one of ``case``'s events."""
    found = session.scalar(
        select(RequestEvent.ledger_leaf).where(
            RequestEvent.request_id == case.id, RequestEvent.ledger_leaf == leaf
        )
    )
    return bytes.fromhex(found) if found else None
