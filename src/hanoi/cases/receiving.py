"""What the other State's node says about a request: the exchange's handler for request
messages, and its hook for the receipt of a submission.

Each message is checked against the same life cycle the sender applied before it changes
anything here; whatever does not fit raises :class:`MessageRejected`, which refuses the
message (the sender quarantines it with the reason) and leaves this node's copy as it was.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.accounts.models import Authority
from hanoi.cases.access import counterpart_case
from hanoi.cases.conditions import add_condition, dump_conditions, parse_condition, parse_conditions
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.errors import CasesError
from hanoi.cases.lifecycle import Action, ActionRequest, LifecycleError, Side, Status
from hanoi.cases.messages import (
    ACTION,
    CONDITION,
    PAYLOAD_FORMAT,
    SUBMIT,
    parse_action_payload,
)
from hanoi.cases.models import SYSTEM, CaseRequest
from hanoi.cases.timeline import record_event
from hanoi.cases.transitions import apply_transition
from hanoi.crypto.canonical import canonical_json
from hanoi.crypto.envelope import OpenedMessage
from hanoi.crypto.receipts import Receipt
from hanoi.exchange.errors import MessageRejected
from hanoi.exchange.models import OutboxMessage
from hanoi.exchange.outbox import payload_json

_REFERENCE = re.compile(r"[A-Z]{2}-[0-9]{4}-[0-9]{6}")


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


def on_receipt(session: Session, message: OutboxMessage, receipt: Receipt) -> None:
    """The exchange's receipt hook: a submitted request is now received by the other node."""
    if message.message_type != SUBMIT or message.request_id is None:
        return
    case = session.get(CaseRequest, message.request_id)
    if case is not None and case.status == Status.SENT.value:
        case.received_at = receipt.received_at
        apply_transition(
            session,
            case,
            ActionRequest(Action.RECEIVE),
            Side.REQUESTING,
            receipt.receiver.authority,
            receipt.received_at,
        )


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
    case.conditions_json = dump_conditions(parse_conditions(payload.get("conditions", [])))
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
            record_event(
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
    apply_transition(
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
    case = counterpart_case(session, sender.state, payload["reference"])
    side = Side.REQUESTED if case.side == Side.REQUESTING.value else Side.REQUESTING
    request = parse_action_payload(payload)
    if request.action in (Action.SEND, Action.RECEIVE):
        raise MessageRejected(f"{request.action.value} is not sent between nodes")
    try:
        # Judged on the day the sender acted (its signed issue time), not on this node's
        # clock: a lapse sent at 00:00:01 UTC must not be refused by a clock a second behind.
        apply_transition(
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
    case = counterpart_case(session, sender.state, payload["reference"])
    condition = parse_condition(payload["condition"])
    if (condition.state, condition.authority) != (sender.state, sender.authority):
        raise MessageRejected("a condition must be set by the State that sends it")
    case.conditions_json = dump_conditions(
        add_condition(parse_conditions(case.conditions), condition)
    )
    case.updated_at = now
    detail = {"kind": condition.kind, "text": condition.text}
    if condition.to:
        detail["to"] = condition.to
    side = Side.REQUESTED if case.side == Side.REQUESTING.value else Side.REQUESTING
    record_event(
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
