"""Requests over the JSON API: list, show (with timeline), act, attach conditions, the
supervisor's approval or return, and the request's evidence packages (listed, and each as
its encrypted tar).

The same services as the pages and the CLI, with the same need-to-know: a request of
another authority is a 404, an action the life cycle refuses a 422 naming why, a role that
may not do it a 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hanoi.cases.access import get_request
from hanoi.cases.acting import act, attach_condition
from hanoi.cases.approval import approve, awaiting_approval, discard, return_request
from hanoi.cases.lifecycle import MAX_REASON_LENGTH, Action, ActionRequest
from hanoi.cases.queries import Box, list_requests
from hanoi.cases.views import request_detail, request_summary
from hanoi.exchange.identity import LocalNode
from hanoi.web.api.callers import Reader, Writer
from hanoi.web.deps import NodeServices, Services, client_address
from hanoi.web.errors import ApiError
from hanoi.web.packages import package_json, package_tar, package_views
from hanoi.web.problems import problem_responses

router = APIRouter(tags=["requests"])

_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(400, 401, 403, 404, 409, 422, 503)


class ActionBody(BaseModel):
    """A life-cycle action; the fields an action does not use are ignored."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=MAX_REASON_LENGTH)
    ground: str | None = Field(default=None, max_length=64)
    until: date | None = None


class ConditionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=32)
    text: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)
    to: str | None = Field(default=None, min_length=2, max_length=2)


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=MAX_REASON_LENGTH)


def _node(services: NodeServices) -> LocalNode:
    if services.node is None:
        raise ApiError(503, "No exchange", "this node has no identity: it reaches no State")
    return services.node


def _show(services: NodeServices, caller: Any, reference: str) -> dict[str, Any]:
    with services.db.session() as session:
        case = get_request(session, user=caller.user, reference=reference)
        return request_detail(
            session, case, caller.user, ack_hours_24_7=services.settings.ack_hours_24_7
        )


def _sent(services: NodeServices, caller: Any, reference: str) -> dict[str, Any]:
    if services.worker is not None:
        services.worker.wake()  # what was queued leaves now, not at the next poll
    return _show(services, caller, reference)


@router.get("/requests", responses=_READ)
def list_(
    caller: Reader, services: Services, box: Literal["all", "inbox", "outbox"] = "all"
) -> list[dict[str, Any]]:
    """The requests of the caller's authority, newest first (inbox: received)."""
    chosen: Box = box
    with services.db.session() as session:
        return [
            request_summary(case, ack_hours_24_7=services.settings.ack_hours_24_7)
            for case in list_requests(session, user=caller.user, box=chosen)
        ]


@router.get("/requests/{reference}", responses=_READ)
def show(reference: str, caller: Reader, services: Services) -> dict[str, Any]:
    """One request: document, conditions, deadlines, the caller's actions now, timeline."""
    return _show(services, caller, reference)


@router.post("/requests/{reference}/actions", responses=_WRITE)
def act_(reference: str, body: ActionBody, caller: Writer, services: Services) -> dict[str, Any]:
    """Act on a request (acknowledge, preserve, refuse, ...); the other node is told."""
    try:
        action = Action(body.action)
    except ValueError:
        raise ApiError(422, "Unknown action", f"{body.action[:32]!r} is no action") from None
    request = ActionRequest(action, reason=body.reason, ground=body.ground, until=body.until)
    with services.db.session() as session:
        act(session, _node(services), user=caller.user, reference=reference, request=request)
    return _sent(services, caller, reference)


@router.post("/requests/{reference}/conditions", responses=_WRITE)
def condition(
    reference: str, body: ConditionBody, caller: Writer, services: Services
) -> dict[str, Any]:
    """Attach a condition on use, or (kind ``onward-transfer`` with ``to``) authorise
    passing the data on to a third State; the other node is told."""
    with services.db.session() as session:
        attach_condition(
            session,
            _node(services),
            user=caller.user,
            reference=reference,
            kind=body.kind,
            text=body.text,
            to=body.to,
        )
    return _sent(services, caller, reference)


@router.get("/approvals", responses=_READ)
def approvals(caller: Reader, services: Services) -> list[dict[str, Any]]:
    """The requests of the caller's authority awaiting a supervisor's approval."""
    with services.db.session() as session:
        return [
            request_summary(case, ack_hours_24_7=services.settings.ack_hours_24_7)
            | {"submitted_by": case.submitted_by}
            for case in awaiting_approval(session, user=caller.user)
        ]


@router.post("/requests/{reference}/approve", responses=_WRITE)
def approve_(reference: str, body: Comment, caller: Writer, services: Services) -> dict[str, Any]:
    """Approve a request awaiting approval (never one you submitted): it is sent at once."""
    with services.db.session() as session:
        approve(
            session, _node(services), user=caller.user, reference=reference, comment=body.comment
        )
    return _sent(services, caller, reference)


@router.post("/requests/{reference}/return", responses=_WRITE)
def return_(reference: str, body: Comment, caller: Writer, services: Services) -> dict[str, Any]:
    """Return a request awaiting approval to its drafters; the comment says what to change."""
    with services.db.session() as session:
        return_request(session, user=caller.user, reference=reference, comment=body.comment or "")
    return _show(services, caller, reference)


@router.post("/requests/{reference}/discard", responses=_WRITE)
def discard_(reference: str, body: Comment, caller: Writer, services: Services) -> dict[str, Any]:
    """Discard a request awaiting approval or returned for changes: it never leaves the
    State, and its draft is closed. The comment, if any, says why."""
    with services.db.session() as session:
        discard(session, user=caller.user, reference=reference, reason=body.comment)
    return _show(services, caller, reference)


@router.get("/requests/{reference}/evidence", responses=_READ)
def evidence(reference: str, caller: Reader, services: Services) -> list[dict[str, Any]]:
    """The request's evidence packages, sent or received: files with both hashes, transfer
    progress and verification."""
    home = services.node.home if services.node is not None else None
    with services.db.session() as session:
        case = get_request(session, user=caller.user, reference=reference)
        views = package_views(session, case, home)
    return [package_json(v) for v in views]


@router.get(
    "/requests/{reference}/evidence/{package_id}.tar",
    response_class=Response,
    responses={200: {"content": {"application/x-tar": {}}}, **_READ},
)
def evidence_tar(
    request: Request, reference: str, package_id: str, caller: Reader, services: Services
) -> Response:
    """The encrypted package as one tar with its proofs (``hanoi evidence verify`` checks
    it offline); each download is audited."""
    remote_addr = client_address(request)
    return package_tar(services, caller.user, reference, package_id, remote_addr)
