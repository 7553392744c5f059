"""Requests sent to and received from other States, kept in step between the two nodes.

Every change happens in one transaction with the message that tells the other node about it
(the outbox, :mod:`hanoi.exchange`), and the receiving node checks each change against the
same life cycle (:mod:`hanoi.cases.lifecycle`) before applying it: the two copies of a
request can only diverge if one node refuses a message, which quarantines it on the sender
with the reason.

Need-to-know: a request is visible only to the people of the local authority handling it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import Authority, User
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.check import check_document
from hanoi.cases.conditions import (
    Condition,
    add_condition,
    check_onward_transfer,
    new_condition,
    parse_condition,
    parse_conditions,
)
from hanoi.cases.deadlines import CaseTimes, Deadline, deadlines
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.errors import CasesError, DocumentError
from hanoi.cases.lifecycle import (
    SYSTEM_ACTIONS,
    Action,
    ActionRequest,
    CaseState,
    LifecycleError,
    Side,
    Status,
    apply_action,
    is_final,
    is_preservable,
    user_actions,
)
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.convention import get_convention
from hanoi.crypto.canonical import canonical_json
from hanoi.crypto.envelope import OpenedMessage, Party
from hanoi.crypto.receipts import Receipt
from hanoi.db.base import utcnow
from hanoi.directory.fixture import StateDirectory
from hanoi.directory.lookup import state_info
from hanoi.errors import InvalidInput, NotAllowed, NotFound
from hanoi.exchange.errors import MessageRejected
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import DeliveryState, InboxMessage, OutboxMessage
from hanoi.exchange.outbox import enqueue, payload_json
from hanoi.exchange.peers import authority_code
from hanoi.ledger import merkle
from hanoi.ledger import store as ledger_store
from hanoi.ledger.records import new_record

PAYLOAD_FORMAT = "hanoi-request-message/1"
SUBMIT = "request.submit"
ACTION = "request.action"
CONDITION = "request.condition"
SYSTEM = "system"
_REFERENCE = re.compile(r"[A-Z]{2}-[0-9]{4}-[0-9]{6}")

Box = Literal["all", "inbox", "outbox"]


class RequestError(CasesError, InvalidInput):
    """A request that cannot be sent as asked: what it follows or forwards does not fit,
    or no authority of the requested State takes its kind."""


class RequestNotFound(CasesError, NotFound):
    """No such request, or none visible to this user (the same answer)."""

    title = "No such request"

    def __init__(self, reference: str) -> None:
        super().__init__(f"no request {reference!r} is visible to you")
        self.reference = reference


class RequestForbidden(CasesError, NotAllowed):
    """The user's role does not allow this."""


class RequestNotReady(CasesError, InvalidInput):
    """The document does not pass the Convention check, so it cannot be sent."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"the request does not pass the check ({len(problems)} error(s)): {problems[0]}"
        )
        self.problems = problems


# --- sending ------------------------------------------------------------------------------


def send_request(
    session: Session,
    node: LocalNode,
    *,
    user: User,
    document: BaseModel,
    to_authority: str | None = None,
    parent_reference: str | None = None,
    forwards: str | None = None,
    conditions: Sequence[tuple[str, str]] = (),
    directory: StateDirectory | None = None,
    now: datetime | None = None,
) -> CaseRequest:
    """Check ``document``, record it as sent by the user's authority and queue it for the
    requested State's node, all in ``session``. Returns the new request (its reference).

    ``parent_reference`` links a follow-up (or an Art. 43 disclosure) to its preservation;
    ``forwards`` names a request whose data this one passes on to a third State, which its
    source must have authorised (Art. 36): its conditions travel with the data.
    ``conditions`` are (kind, text) pairs the requesting side attaches."""
    now = now or utcnow()
    _require(user, Permission.SEND_REQUESTS, "send requests")
    if user.authority.state != node.state:
        raise RequestForbidden(
            f"{user.username} works for {user.authority.state}, not {node.state}"
        )
    data = document.model_dump(mode="json")
    kind = data["kind"]
    if data.get("requesting_state") != node.state:
        raise DocumentError(f"requesting_state must be this node's State, {node.state}")
    requested_state = data.get("requested_state")
    if not isinstance(requested_state, str):
        raise DocumentError("requested_state is missing")
    if directory is None:
        directory = _peer_directory(node, now)
    report = check_document(document, directory=directory, today=now.date())
    errors = [
        f"{p.path}: {p.message}" if p.path else p.message
        for p in report.problems
        if p.severity == "error"
    ]
    if errors:
        raise RequestNotReady(errors)
    recipient = Party(
        requested_state, to_authority or _default_authority(node, kind, requested_state, now)
    )
    if parent_reference is not None and forwards is not None:
        raise RequestError("a request either follows a preservation or forwards data, not both")
    parent, relation = _parent(session, user, parent_reference, kind, requested_state)
    attached = [
        new_condition(k, t, state=node.state, authority=user.authority.code, at=now.isoformat())
        for k, t in conditions
    ]
    if forwards is not None:
        source = get_request(session, user=user, reference=forwards, record_view=False)
        supplier = _counterpart(source).state
        check_onward_transfer(_conditions(source), source=supplier, to=requested_state)
        # The source's conditions on use travel with its data (Art. 36).
        attached = [c for c in _conditions(source) if c.kind != "onward-transfer"] + attached
        parent, relation = source, "onward-transfer"
    canonical = canonical_json(data)
    case = CaseRequest(
        reference=_next_reference(session, node.state, now),
        kind=kind,
        side=Side.REQUESTING.value,
        status=Status.DRAFT.value,
        requesting_state=node.state,
        requesting_authority=user.authority.code,
        requested_state=requested_state,
        requested_authority=recipient.authority,
        authority_id=user.authority_id,
        urgent=bool(data.get("urgent", False)),
        document_json=canonical.decode("utf-8"),
        document_sha256=hashlib.sha256(canonical).hexdigest(),
        parent_reference=parent.reference if parent else None,
        relation=relation,
        conditions_json=_conditions_json(attached),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    _change(session, case, ActionRequest(Action.SEND), Side.REQUESTING, user.username, now)
    if parent is not None and relation == "follow-up":
        parent.followup_pending = True
        _event(
            session,
            parent,
            user.username,
            Side.REQUESTING,
            "follow-up",
            {"request": case.reference},
            now,
        )
    submission = {
        "kind": kind,
        "urgent": case.urgent,
        "document": data,
        "parent_reference": case.parent_reference,
        "relation": relation,
        "conditions": [c.to_json() for c in attached],
    }
    _tell(session, node, case, SUBMIT, submission, user.username, now)
    _audit(
        session, user.username, "request.send", case, {"kind": kind, "to": recipient.authority}, now
    )
    return case


def _peer_directory(node: LocalNode, now: datetime) -> StateDirectory:
    return StateDirectory(state_info(e) for e in node.peers.entries(now).values())


def _default_authority(node: LocalNode, kind: str, state: str, now: datetime) -> str:
    """The first of the instrument's channels the requested State has designated."""
    entry = node.peers.entry(state, now)
    for channel in get_convention().instrument(kind).channels:
        for authority in entry.authorities_of(channel):  # type: ignore[arg-type]
            return authority_code(state, channel, authority.code)
    raise RequestError(f"{state} has designated no authority that takes {kind} requests")


def _parent(
    session: Session, user: User, reference: str | None, kind: str, requested_state: str
) -> tuple[CaseRequest | None, str | None]:
    if reference is None:
        return None, None
    # Another authority of the same State may hold the preservation (the 24/7 point asks
    # for it, the central authority sends the follow-up): found by reference, not shown.
    parent = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
    if parent is None:
        raise RequestNotFound(reference)
    if parent.side != Side.REQUESTING.value or parent.requested_state != requested_state:
        raise RequestError(f"{reference} is not a request of ours to {requested_state}")
    if not is_preservable(parent.kind):
        raise RequestError(
            f"{reference} is a {parent.kind} request: only preservations have follow-ups"
        )
    if is_final(Status(parent.status)):
        raise RequestError(f"{reference} is already {parent.status}")
    if kind == "traffic-disclosure":
        return parent, "partial-disclosure"  # Art. 43: traffic data to trace the path
    if kind in ("mla", "mla-stored-data"):
        return parent, "follow-up"  # Art. 42: the request the preservation waited for
    raise RequestError(f"a {kind} request cannot follow a preservation")


def _next_reference(session: Session, state: str, now: datetime) -> str:
    prefix = f"{state}-{now.year}-"
    last = session.scalar(
        select(func.max(CaseRequest.reference)).where(CaseRequest.reference.like(f"{prefix}%"))
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


# --- acting -------------------------------------------------------------------------------


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
    _require(user, Permission.ACT_ON_REQUESTS, "act on requests")
    if request.action == Action.REFUSE:
        _require(user, Permission.REFUSE_REQUESTS, "refuse requests")
    case = get_request(session, user=user, reference=reference, record_view=False, lock=True)
    side = Side(case.side)
    if request.action in SYSTEM_ACTIONS:
        raise LifecycleError(
            f"{request.action.value} is done by the node itself",
            check="action",
            action=request.action,
        )
    event = _change(session, case, request, side, user.username, now)
    _tell(session, node, case, ACTION, _action_payload(request, case.status), user.username, now)
    _audit(session, user.username, f"request.{request.action.value}", case, event.detail, now)
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
    _require(user, Permission.ACT_ON_REQUESTS, "attach conditions")
    case = get_request(session, user=user, reference=reference, record_view=False, lock=True)
    own = _own_party(case)
    condition = new_condition(
        kind, text, state=own.state, authority=own.authority, at=now.isoformat(), to=to
    )
    case.conditions_json = _conditions_json(add_condition(_conditions(case), condition))
    case.updated_at = now
    case.version += 1
    detail = {"kind": kind, "text": condition.text} | ({"to": to} if to else {})
    _event(session, case, user.username, Side(case.side), "condition", detail, now, case.status)
    _tell(session, node, case, CONDITION, {"condition": condition.to_json()}, user.username, now)
    _audit(session, user.username, "request.condition", case, {"kind": kind, "to": to}, now)
    return case


def case_state(case: CaseRequest) -> CaseState:
    """What the life cycle needs of a stored request."""
    return CaseState(
        kind=case.kind,
        status=Status(case.status),
        preserved_until=case.preserved_until,
        followup_pending=case.followup_pending,
        disclosed=case.disclosed,
    )


def _conditions(case: CaseRequest) -> list[Condition]:
    return parse_conditions(case.conditions)


def _conditions_json(conditions: Sequence[Condition]) -> str:
    return json.dumps([c.to_json() for c in conditions], ensure_ascii=False)


def _change(
    session: Session,
    case: CaseRequest,
    request: ActionRequest,
    side: Side,
    actor: str,
    now: datetime,
    message_id: str | None = None,
    today: date | None = None,
) -> RequestEvent:
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
    return _event(
        session, case, actor, side, request.action.value, outcome.detail, now, before, message_id
    )


def _event(
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


#: Timeline actions that the transparency log records under a kind of their own; every
#: other action changes a request's state and is logged as a status change.
_LEDGER_KINDS = {
    "send": "request-sent",
    "evidence-sealed": "evidence-sealed",
    "evidence-uploaded": "evidence-delivered",
    "evidence-received": "evidence-received",
    "evidence-delivered": "receipt",
    "evidence-opened": "evidence-opened",
}


def _log_event(session: Session, case: CaseRequest, event: RequestEvent) -> str:
    """Queue the event in the node's transparency log, in the same transaction; the log
    holds only a salted commitment to this detail. Returns the leaf hash (hex)."""
    kind = _LEDGER_KINDS.get(event.action, "status-change")
    if event.action == "receive" and event.side == Side.REQUESTED.value:
        kind = "request-received"  # on the requesting side, the exchange logs the receipt
    node = _own_party(case).state
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
    ledger_store.append(session, record)
    return merkle.leaf_hash(record.leaf_bytes).hex()


def _own_party(case: CaseRequest) -> Party:
    if case.side == Side.REQUESTING.value:
        return Party(case.requesting_state, case.requesting_authority)
    return Party(case.requested_state, case.requested_authority)


def _counterpart(case: CaseRequest) -> Party:
    if case.side == Side.REQUESTING.value:
        return Party(case.requested_state, case.requested_authority)
    return Party(case.requesting_state, case.requesting_authority)


def _action_payload(request: ActionRequest, status: str) -> dict[str, Any]:
    return {
        "action": request.action.value,
        "reason": request.reason,
        "ground": request.ground,
        "until": request.until.isoformat() if request.until else None,
        "status": status,
    }


def _tell(
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
        sender=_own_party(case),
        recipient=_counterpart(case),
        message_type=message_type,
        payload={"format": PAYLOAD_FORMAT, "reference": case.reference, **payload},
        request_id=case.id,
        actor=actor,
        now=now,
    )


def _audit(
    session: Session,
    actor: str,
    action: str,
    case: CaseRequest,
    detail: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="request",
        target_id=case.reference,
        detail=detail,
        at=now,
    )


# --- reading ------------------------------------------------------------------------------


def get_request(
    session: Session,
    *,
    user: User,
    reference: str,
    record_view: bool = True,
    lock: bool = False,
    remote_addr: str | None = None,
) -> CaseRequest:
    """The request, if the user's authority handles it; otherwise :class:`RequestNotFound`
    (the same answer whether it exists elsewhere or not), and the attempt is audited."""
    _require(user, Permission.READ_REQUESTS, "read requests")
    query = select(CaseRequest).where(CaseRequest.reference == reference)
    if lock:
        query = query.with_for_update(of=CaseRequest)
    case = session.scalar(query)
    if case is None or case.authority_id != user.authority_id:
        # In a transaction of its own: the caller's rolls back with the error we raise.
        with Session(session.get_bind()) as own, own.begin():
            audit.record(
                own,
                actor=user.username,
                action="request.denied",
                target_type="request",
                target_id=reference[:64],
                remote_addr=remote_addr,
            )
        raise RequestNotFound(reference)
    if record_view:
        audit.record(
            session,
            actor=user.username,
            action="request.view",
            target_type="request",
            target_id=case.reference,
            remote_addr=remote_addr,
        )
    return case


def list_requests(session: Session, *, user: User, box: Box = "all") -> list[CaseRequest]:
    """The requests of the user's authority, newest first; ``inbox`` = received,
    ``outbox`` = sent."""
    _require(user, Permission.READ_REQUESTS, "read requests")
    query = select(CaseRequest).where(CaseRequest.authority_id == user.authority_id)
    if box == "inbox":
        query = query.where(CaseRequest.side == Side.REQUESTED.value)
    elif box == "outbox":
        query = query.where(CaseRequest.side == Side.REQUESTING.value)
    return list(
        session.scalars(query.order_by(CaseRequest.created_at.desc(), CaseRequest.reference.desc()))
    )


def allowed_actions(case: CaseRequest, user: User, *, today: date) -> list[Action]:
    """What this user may do to this request now: its life cycle and the user's role."""
    if not allowed(user.role, Permission.ACT_ON_REQUESTS):
        return []
    actions = user_actions(case_state(case), Side(case.side), today=today)
    if not allowed(user.role, Permission.REFUSE_REQUESTS):
        actions = [a for a in actions if a != Action.REFUSE]
    return actions


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


def request_deadlines(case: CaseRequest, *, ack_hours_24_7: int | None = None) -> list[Deadline]:
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


# --- what the other node says -------------------------------------------------------------


def apply_message(session: Session, opened: OpenedMessage, now: datetime) -> str | None:
    """The exchange's handler: apply a verified message from another node, or refuse it."""
    try:
        payload = payload_json(opened.payload)
        if payload.get("format") != PAYLOAD_FORMAT:
            raise MessageRejected(f"not a {PAYLOAD_FORMAT} message")
        if opened.claims.message_type == SUBMIT:
            return _receive_submission(session, opened, payload, now)
        if opened.claims.message_type == ACTION:
            return _receive_action(session, opened, payload, now)
        if opened.claims.message_type == CONDITION:
            return _receive_condition(session, opened, payload, now)
        raise MessageRejected(f"unknown message type {opened.claims.message_type!r}")
    except (ValueError, KeyError, TypeError) as exc:
        raise MessageRejected(f"the payload does not fit its type: {exc}") from None
    except CasesError as exc:
        raise MessageRejected(str(exc)) from None


def _receive_submission(
    session: Session, opened: OpenedMessage, payload: dict[str, Any], now: datetime
) -> str:
    sender, recipient = opened.claims.sender, opened.claims.recipient
    reference = payload["reference"]
    if (
        not isinstance(reference, str)
        or not _REFERENCE.fullmatch(reference)
        or (not reference.startswith(f"{sender.state}-"))
    ):
        raise MessageRejected(f"reference {reference!r} is not one of {sender.state}'s")
    document = parse_document_obj(payload["document"])
    data = document.model_dump(mode="json")
    if (
        data.get("requesting_state") != sender.state
        or data.get("requested_state") != recipient.state
    ):
        raise MessageRejected("the document's States are not the message's sender and recipient")
    if data["kind"] != payload["kind"]:
        raise MessageRejected("the document's kind is not the message's")
    local = session.scalar(select(Authority).where(Authority.code == recipient.authority))
    if local is None or local.state != recipient.state:
        raise MessageRejected(f"no authority {recipient.authority} at this node")
    if session.scalar(select(CaseRequest.id).where(CaseRequest.reference == reference)):
        raise MessageRejected(f"request {reference} was already received")
    canonical = canonical_json(data)
    case = CaseRequest(
        reference=reference,
        kind=data["kind"],
        side=Side.REQUESTED.value,
        status=Status.SENT.value,
        requesting_state=sender.state,
        requesting_authority=sender.authority,
        requested_state=recipient.state,
        requested_authority=recipient.authority,
        authority_id=local.id,
        urgent=bool(payload.get("urgent", False)),
        document_json=canonical.decode("utf-8"),
        document_sha256=hashlib.sha256(canonical).hexdigest(),
        created_at=now,
        updated_at=now,
        received_at=now,
    )
    case.conditions_json = _conditions_json(parse_conditions(payload.get("conditions", [])))
    parent_reference = payload.get("parent_reference")
    if parent_reference is not None and payload.get("relation") == "onward-transfer":
        # Data passed on from a request between two other States: a pointer, nothing here.
        case.parent_reference, case.relation = str(parent_reference)[:32], "onward-transfer"
    elif parent_reference is not None:
        parent = session.scalar(
            select(CaseRequest).where(CaseRequest.reference == parent_reference)
        )
        if (
            parent is None
            or parent.requesting_state != sender.state
            or parent.side != Side.REQUESTED.value
        ):
            raise MessageRejected(
                f"it follows {parent_reference!r}, not received here from {sender.state}"
            )
        case.parent_reference = parent.reference
        case.relation = payload.get("relation")
        if case.relation == "follow-up":
            parent.followup_pending = True
            _event(
                session,
                parent,
                sender.authority,
                Side.REQUESTING,
                "follow-up",
                {"request": reference},
                now,
                message_id=opened.claims.message_id,
            )
    session.add(case)
    session.flush()
    _change(
        session,
        case,
        ActionRequest(Action.RECEIVE),
        Side.REQUESTED,
        SYSTEM,
        now,
        opened.claims.message_id,
    )
    return case.id


def _receive_action(
    session: Session, opened: OpenedMessage, payload: dict[str, Any], now: datetime
) -> str:
    sender = opened.claims.sender
    case = _counterpart_case(session, sender.state, payload["reference"])
    side = Side.REQUESTED if case.side == Side.REQUESTING.value else Side.REQUESTING
    until = payload.get("until")
    request = ActionRequest(
        action=Action(payload["action"]),
        reason=payload.get("reason"),
        ground=payload.get("ground"),
        until=date.fromisoformat(until) if until else None,
    )
    if request.action in (Action.SEND, Action.RECEIVE):
        raise MessageRejected(f"{request.action.value} is not sent between nodes")
    try:
        # Judged on the day the sender acted (its signed issue time), not on this node's
        # clock: a lapse sent at 00:00:01 UTC must not be refused by a clock a second behind.
        _change(
            session,
            case,
            request,
            side,
            sender.authority,
            now,
            opened.claims.message_id,
            today=opened.claims.issued_at.astimezone(UTC).date(),
        )
    except LifecycleError as exc:
        raise MessageRejected(f"{case.reference}: {exc}") from None
    if case.status != payload["status"]:
        raise MessageRejected(
            f"{case.reference}: the two nodes disagree on its status ({case.status} here)"
        )
    return case.id


def _receive_condition(
    session: Session, opened: OpenedMessage, payload: dict[str, Any], now: datetime
) -> str:
    sender = opened.claims.sender
    case = _counterpart_case(session, sender.state, payload["reference"])
    condition = parse_condition(payload["condition"])
    if (condition.state, condition.authority) != (sender.state, sender.authority):
        raise MessageRejected("a condition must be set by the State that sends it")
    case.conditions_json = _conditions_json(add_condition(_conditions(case), condition))
    case.updated_at = now
    detail = {"kind": condition.kind, "text": condition.text}
    if condition.to:
        detail["to"] = condition.to
    side = Side.REQUESTED if case.side == Side.REQUESTING.value else Side.REQUESTING
    _event(
        session,
        case,
        sender.authority,
        side,
        "condition",
        detail,
        now,
        case.status,
        opened.claims.message_id,
    )
    return case.id


def _counterpart_case(session: Session, state: str, reference: object) -> CaseRequest:
    case = session.scalar(
        select(CaseRequest)
        .where(CaseRequest.reference == reference)
        .with_for_update(of=CaseRequest)
    )
    if case is None or _counterpart(case).state != state:
        raise MessageRejected(f"no request {reference!r} with {state} here")
    return case


def on_receipt(session: Session, message: OutboxMessage, receipt: Receipt) -> None:
    """The exchange's receipt hook: a submitted request is now received by the other node."""
    if message.message_type != SUBMIT or message.request_id is None:
        return
    case = session.get(CaseRequest, message.request_id)
    if case is not None and case.status == Status.SENT.value:
        case.received_at = receipt.received_at
        _change(
            session,
            case,
            ActionRequest(Action.RECEIVE),
            Side.REQUESTING,
            receipt.receiver.authority,
            receipt.received_at,
        )


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
        _change(session, case, ActionRequest(Action.LAPSE), Side.REQUESTED, SYSTEM, now)
        _tell(
            session,
            node,
            case,
            ACTION,
            _action_payload(ActionRequest(Action.LAPSE), case.status),
            SYSTEM,
            now,
        )
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
            _event(session, case, SYSTEM, Side(case.side), what, detail, now, case.status)
            recorded.append((case.reference, what))
    return recorded


_FINAL = tuple(status for status in Status if is_final(status))


def _require(user: User, permission: Permission, what: str) -> None:
    if not allowed(user.role, permission):
        raise RequestForbidden(f"the role {user.role} may not {what}")
