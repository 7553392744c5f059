"""Sending a new request to another State: check it, record it and queue it, in one step.

The document must pass the Convention check against the other States' verified directory
entries. The request gets the next reference of this State and year, is recorded as sent
(:mod:`hanoi.cases.transitions`) and is queued for the requested State's node in the same
transaction (:func:`hanoi.cases.messages.tell_other_node`).

A request may follow a preservation of ours (Art. 42 follow-up, Art. 43 disclosure of
traffic data), or pass on the data of another request to a third State, which the State
that supplied them must have authorised (Art. 36); their conditions on use go along.

Four eyes: where the authority's rules say so (:mod:`hanoi.cases.approval_policy`), the
request is recorded as awaiting approval instead, and leaves only when a supervisor approves
it (:mod:`hanoi.cases.approval`, which calls :func:`dispatch`). A request sent from a draft
(:func:`send_draft`) keeps that draft's id, unique in the database: one draft, one request.
A request returned for changes is resubmitted by sending its draft again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request, require
from hanoi.cases.approval_policy import approval_required
from hanoi.cases.check import check_document
from hanoi.cases.conditions import (
    Condition,
    check_onward_transfer,
    dump_conditions,
    new_condition,
    parse_conditions,
)
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.drafts import lock_draft, request_of
from hanoi.cases.errors import (
    DocumentError,
    RequestError,
    RequestForbidden,
    RequestNotFound,
    RequestNotReady,
    UnknownAuthority,
)
from hanoi.cases.lifecycle import Action, ActionRequest, Side, Status, is_final, is_preservable
from hanoi.cases.messages import SUBMIT, tell_other_node
from hanoi.cases.models import CaseRequest
from hanoi.cases.timeline import counterpart, record_audit, record_event
from hanoi.cases.transitions import apply_transition
from hanoi.convention import get_convention
from hanoi.crypto.canonical import canonical_json
from hanoi.crypto.envelope import Party
from hanoi.db.base import utcnow
from hanoi.directory.entry import authority_code
from hanoi.directory.states import StateDirectory, state_info
from hanoi.exchange.identity import LocalNode


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
    draft_id: str | None = None,
) -> CaseRequest:
    """Check ``document``, record it as sent by the user's authority and queue it for the
    requested State's node (or, where approval is needed, record it as awaiting approval),
    all in ``session``. Returns the new request (its reference).

    ``parent_reference`` links a follow-up (or an Art. 43 disclosure) to its preservation;
    ``forwards`` names a request whose data this one passes on to a third State, which its
    source must have authorised (Art. 36): its conditions travel with the data.
    ``conditions`` are (kind, text) pairs the requesting side attaches. ``draft_id`` names
    the draft it comes from (use :func:`send_draft`, which checks and locks it)."""
    now = now or utcnow()
    _check_sender(user, node)
    data = document.model_dump(mode="json")
    kind = data["kind"]
    requested_state = _requested_state(data, node)
    if directory is None:
        directory = peer_directory(node, now)
    check_ready(document, directory, now)
    recipient = Party(requested_state, _authority(node, kind, requested_state, to_authority, now))
    parent, relation, attached = _links(
        session,
        user,
        kind=kind,
        requested_state=requested_state,
        parent_reference=parent_reference,
        forwards=forwards,
        conditions=conditions,
        now=now,
    )
    case = _new_case(session, node, user, data, recipient, parent, relation, attached, now)
    case.draft_id = draft_id
    _submit_or_send(session, node, user, case, now)
    return case


def send_draft(
    session: Session,
    node: LocalNode,
    *,
    user: User,
    draft_id: str,
    expected_version: int | None = None,
    to_authority: str | None = None,
    directory: StateDirectory | None = None,
    now: datetime | None = None,
) -> CaseRequest:
    """Send the request a draft holds, as :func:`send_request` does, once.

    The draft is locked first; one already sent (or awaiting approval) raises
    :class:`~hanoi.cases.drafts.DraftAlreadySent`, one changed since ``expected_version``
    :class:`~hanoi.cases.drafts.DraftConflict`. A draft whose request was returned for
    changes resubmits that request, with the draft's document as it is now."""
    now = now or utcnow()
    _check_sender(user, node)
    draft = lock_draft(session, user=user, draft_id=draft_id, expected_version=expected_version)
    document = parse_document_obj(draft.document)
    returned = request_of(session, draft)
    if returned is None:
        return send_request(
            session,
            node,
            user=user,
            document=document,
            to_authority=to_authority,
            directory=directory,
            now=now,
            draft_id=draft.id,
        )
    data = document.model_dump(mode="json")
    requested_state = _requested_state(data, node)
    check_ready(document, directory or peer_directory(node, now), now)
    canonical = canonical_json(data)
    returned.kind = data["kind"]
    returned.requested_state = requested_state
    returned.requested_authority = _authority(
        node, returned.kind, requested_state, to_authority, now
    )
    returned.urgent = bool(data.get("urgent", False))
    returned.document_json = canonical.decode("utf-8")
    returned.document_sha256 = hashlib.sha256(canonical).hexdigest()
    _submit_or_send(session, node, user, returned, now)
    return returned


def _submit_or_send(
    session: Session, node: LocalNode, user: User, case: CaseRequest, now: datetime
) -> None:
    """Wait for a supervisor where the authority's rules say so; else send at once."""
    detail = {"kind": case.kind, "to": case.requested_authority}
    if approval_required(session, case.authority_id, case.kind):
        case.submitted_by = user.username
        apply_transition(
            session, case, ActionRequest(Action.SUBMIT), Side.REQUESTING, user.username, now
        )
        record_audit(session, user.username, "request.submit", case, detail, now)
        return
    dispatch(session, node, case, user.username, now)
    record_audit(session, user.username, "request.send", case, detail, now)


def dispatch(
    session: Session, node: LocalNode, case: CaseRequest, actor: str, now: datetime
) -> None:
    """Record ``case`` as sent and queue it for the requested State's node."""
    apply_transition(session, case, ActionRequest(Action.SEND), Side.REQUESTING, actor, now)
    if case.relation == "follow-up" and case.parent_reference is not None:
        parent = session.scalar(
            select(CaseRequest).where(CaseRequest.reference == case.parent_reference)
        )
        if parent is not None:
            _note_follow_up(session, parent, case, actor, now)
    submission = _submission(case, case.document, parse_conditions(case.conditions))
    tell_other_node(session, node, case, SUBMIT, submission, actor, now)


def _check_sender(user: User, node: LocalNode) -> None:
    """Only an officer whose role sends requests, of an authority of this node's State."""
    require(user, Permission.SEND_REQUESTS, "send requests")
    if user.authority.state != node.state:
        raise RequestForbidden(
            f"{user.username} works for {user.authority.state}, not {node.state}"
        )


def _requested_state(data: dict[str, Any], node: LocalNode) -> str:
    """The State the document is addressed to; it must come from this node's State."""
    if data.get("requesting_state") != node.state:
        raise DocumentError(f"requesting_state must be this node's State, {node.state}")
    requested_state = data.get("requested_state")
    if not isinstance(requested_state, str):
        raise DocumentError("requested_state is missing")
    return requested_state


def peer_directory(node: LocalNode, now: datetime) -> StateDirectory:
    return StateDirectory(state_info(e) for e in node.peers.entries(now).values())


def check_ready(document: BaseModel, directory: StateDirectory, now: datetime) -> None:
    """Raise :class:`RequestNotReady` with every error the Convention check finds."""
    report = check_document(document, directory=directory, today=now.date())
    errors = [
        f"{p.path}: {p.message}" if p.path else p.message
        for p in report.problems
        if p.severity == "error"
    ]
    if errors:
        raise RequestNotReady(errors)


@dataclass(frozen=True)
class Recipient:
    """An authority of the requested State that takes a kind of request, from its verified
    directory entry."""

    code: str
    name: str
    channel: str


def recipients(node: LocalNode, kind: str, state: str, now: datetime) -> list[Recipient]:
    """The authorities of ``state`` that take ``kind`` requests, in the order of the
    instrument's channels: the first is where a request goes unless the sender chooses."""
    entry = node.peers.entry(state, now)
    return [
        Recipient(authority_code(state, channel, authority.code), authority.name, channel)
        for channel in get_convention().instrument(kind).channels
        for authority in entry.authorities_of(channel)  # type: ignore[arg-type]
    ]


def _authority(node: LocalNode, kind: str, state: str, chosen: str | None, now: datetime) -> str:
    """The authority the request goes to: the one chosen, which the requested State's
    directory entry must list (refused before anything is recorded, so no reference is
    used up and nothing is queued that its node could only refuse), or the default."""
    if chosen is None:
        return _default_authority(node, kind, state, now)
    entry = node.peers.entry(state, now)
    known = list(dict.fromkeys(authority_code(state, a.kind, a.code) for a in entry.authorities))
    if chosen not in known:
        raise UnknownAuthority(chosen, state, known)
    return chosen


def _default_authority(node: LocalNode, kind: str, state: str, now: datetime) -> str:
    """The first of the instrument's channels the requested State has designated."""
    found = recipients(node, kind, state, now)
    if not found:
        raise RequestError(f"{state} has designated no authority that takes {kind} requests")
    return found[0].code


def _links(
    session: Session,
    user: User,
    *,
    kind: str,
    requested_state: str,
    parent_reference: str | None,
    forwards: str | None,
    conditions: Sequence[tuple[str, str]],
    now: datetime,
) -> tuple[CaseRequest | None, str | None, list[Condition]]:
    """The request this one follows or forwards, how, and the conditions it carries."""
    if parent_reference is not None and forwards is not None:
        raise RequestError("a request either follows a preservation or forwards data, not both")
    parent, relation = _parent(session, user, parent_reference, kind, requested_state)
    attached = [
        new_condition(
            k, t, state=user.authority.state, authority=user.authority.code, at=now.isoformat()
        )
        for k, t in conditions
    ]
    if forwards is None:
        return parent, relation, attached
    source, travelling = _onward_source(session, user, forwards, requested_state)
    return source, "onward-transfer", travelling + attached


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


def _onward_source(
    session: Session, user: User, reference: str, to_state: str
) -> tuple[CaseRequest, list[Condition]]:
    """The request whose data are passed on to ``to_state``, if the State that supplied
    them authorised it (Art. 36), and its conditions on use, which travel with the data."""
    source = get_request(session, user=user, reference=reference, record_view=False)
    source_conditions = parse_conditions(source.conditions)
    check_onward_transfer(source_conditions, source=counterpart(source).state, to=to_state)
    return source, [c for c in source_conditions if c.kind != "onward-transfer"]


def _new_case(
    session: Session,
    node: LocalNode,
    user: User,
    data: dict[str, Any],
    recipient: Party,
    parent: CaseRequest | None,
    relation: str | None,
    conditions: Sequence[Condition],
    now: datetime,
) -> CaseRequest:
    """The request as stored on this side, still a draft until it is recorded as sent."""
    canonical = canonical_json(data)
    case = CaseRequest(
        reference=_next_reference(session, node.state, now),
        kind=data["kind"],
        side=Side.REQUESTING.value,
        status=Status.DRAFT.value,
        requesting_state=node.state,
        requesting_authority=user.authority.code,
        requested_state=recipient.state,
        requested_authority=recipient.authority,
        authority_id=user.authority_id,
        urgent=bool(data.get("urgent", False)),
        document_json=canonical.decode("utf-8"),
        document_sha256=hashlib.sha256(canonical).hexdigest(),
        parent_reference=parent.reference if parent else None,
        relation=relation,
        conditions_json=dump_conditions(conditions),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    return case


def _next_reference(session: Session, state: str, now: datetime) -> str:
    prefix = f"{state}-{now.year}-"
    last = session.scalar(
        select(func.max(CaseRequest.reference)).where(CaseRequest.reference.like(f"{prefix}%"))
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _note_follow_up(
    session: Session, preservation: CaseRequest, case: CaseRequest, actor: str, now: datetime
) -> None:
    """The preservation now waits for ``case`` (Art. 42): it may not lapse meanwhile."""
    preservation.followup_pending = True
    record_event(
        session, preservation, actor, Side.REQUESTING, "follow-up", {"request": case.reference}, now
    )


def _submission(
    case: CaseRequest, data: dict[str, Any], conditions: Sequence[Condition]
) -> dict[str, Any]:
    """What the submit message tells the requested State's node."""
    return {
        "kind": case.kind,
        "urgent": case.urgent,
        "document": data,
        "parent_reference": case.parent_reference,
        "relation": case.relation,
        "conditions": [c.to_json() for c in conditions],
    }
