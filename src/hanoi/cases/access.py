"""Who may reach a request: an officer of the local authority handling it, as far as their
role allows, or the other State's node that is party to it.

Need-to-know: a request is visible only to the people of the local authority handling it;
to anyone else it does not exist, and the attempt is audited. A message from another node
may touch only a request between this node and the sender's State.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.errors import RequestForbidden, RequestNotFound
from hanoi.cases.models import CaseRequest
from hanoi.exchange.errors import MessageRejected


def require(user: User, permission: Permission, what: str) -> None:
    """Raise :class:`RequestForbidden` unless the user's role has ``permission``; ``what``
    completes "the role ... may not"."""
    if not allowed(user.role, permission):
        raise RequestForbidden(f"the role {user.role} may not {what}")


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
    require(user, Permission.READ_REQUESTS, "read requests")
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


def counterpart_case(session: Session, state: str, reference: object) -> CaseRequest:
    """The request ``reference`` between this node and ``state``, locked for the change a
    message from that State makes; any other reference refuses the message."""
    case = session.scalar(
        select(CaseRequest)
        .where(CaseRequest.reference == reference)
        .with_for_update(of=CaseRequest)
    )
    if case is None or case.other_state != state:
        raise MessageRejected(f"no request {reference!r} with {state} here")
    return case
