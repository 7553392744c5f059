"""Four eyes: a supervisor approves a request, or returns it for changes, before it leaves.

A request whose kind needs approval at its authority (:mod:`hanoi.cases.approval_policy`)
is recorded as ``awaiting_approval`` when an officer sends it (:mod:`hanoi.cases.sending`),
and nothing goes to the other State. A supervisor of the same authority then

- **approves** it: the document is checked again against the directory as it is now, the
  approval is on the timeline (with an optional comment), and the request is sent at once;
- or **returns** it with a comment saying what to change: it is ``returned``, its draft is
  listed and editable again, and sending the draft again resubmits the same request.

An officer of the authority may also **discard** a request awaiting approval or returned:
it is ``discarded`` for good, its draft is no longer listed, and nothing ever left.

The person who asked for approval never approves their own request, whatever their role.
Both steps are on the request's timeline (and so in the node's transparency log) and in the
audit trail; the other State never hears of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request, require
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.errors import CasesError
from hanoi.cases.lifecycle import Action, ActionRequest, Side, Status
from hanoi.cases.models import CaseRequest
from hanoi.cases.sending import check_ready, dispatch, peer_directory
from hanoi.cases.timeline import record_audit
from hanoi.cases.transitions import apply_transition
from hanoi.db.base import utcnow
from hanoi.directory.states import StateDirectory
from hanoi.errors import NotAllowed
from hanoi.exchange.identity import LocalNode


class OwnApproval(CasesError, NotAllowed):
    """The supervisor asked for the approval themselves: another one must give it."""

    title = "Four eyes"

    def __init__(self, reference: str) -> None:
        super().__init__(f"you submitted {reference} yourself: another supervisor must approve it")
        self.reference = reference


def approve(
    session: Session,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    comment: str | None = None,
    directory: StateDirectory | None = None,
    now: datetime | None = None,
) -> CaseRequest:
    """Approve a request awaiting approval at the user's authority, and send it."""
    now = now or utcnow()
    case = _awaiting(session, user, reference)
    if case.submitted_by == user.username:
        raise OwnApproval(case.reference)
    check_ready(parse_document_obj(case.document), directory or peer_directory(node, now), now)
    event = apply_transition(
        session,
        case,
        ActionRequest(Action.APPROVE, reason=comment),
        Side.REQUESTING,
        user.username,
        now,
    )
    record_audit(session, user.username, "request.approve", case, event.detail, now)
    dispatch(session, node, case, user.username, now)
    record_audit(
        session,
        user.username,
        "request.send",
        case,
        {"kind": case.kind, "to": case.requested_authority},
        now,
    )
    return case


def return_request(
    session: Session,
    *,
    user: User,
    reference: str,
    comment: str,
    now: datetime | None = None,
) -> CaseRequest:
    """Return a request awaiting approval to its drafters, saying what to change."""
    case = _awaiting(session, user, reference)
    return _withhold(session, case, user, ActionRequest(Action.RETURN, reason=comment), now)


def discard(
    session: Session,
    *,
    user: User,
    reference: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> CaseRequest:
    """Drop a request awaiting approval or returned for changes, so it is never sent: it
    is ``discarded`` for good and its draft leaves the drafts. Any officer of its authority
    who may send requests may do it; the other State never heard of it."""
    require(user, Permission.SEND_REQUESTS, "discard requests")
    case = get_request(session, user=user, reference=reference, record_view=False, lock=True)
    return _withhold(session, case, user, ActionRequest(Action.DISCARD, reason=reason), now)


def _withhold(
    session: Session, case: CaseRequest, user: User, step: ActionRequest, now: datetime | None
) -> CaseRequest:
    """Return or discard: the step on the timeline and in the audit trail, and nobody's
    submission waiting any more."""
    now = now or utcnow()
    event = apply_transition(session, case, step, Side.REQUESTING, user.username, now)
    case.submitted_by = None
    record_audit(session, user.username, f"request.{step.action.value}", case, event.detail, now)
    return case


def awaiting_approval(session: Session, *, user: User) -> list[CaseRequest]:
    """The requests of the user's authority that wait for a supervisor, oldest first."""
    require(user, Permission.READ_REQUESTS, "read requests")
    return list(
        session.scalars(
            select(CaseRequest)
            .where(
                CaseRequest.authority_id == user.authority_id,
                CaseRequest.status == Status.AWAITING_APPROVAL.value,
            )
            .order_by(CaseRequest.updated_at, CaseRequest.reference)
        )
    )


def _awaiting(session: Session, user: User, reference: str) -> CaseRequest:
    require(user, Permission.APPROVE_REQUESTS, "approve requests")
    # The life cycle refuses any status but awaiting_approval, naming it.
    return get_request(session, user=user, reference=reference, record_view=False, lock=True)
