"""Save, reopen and list request drafts, with need-to-know by authority.

A draft belongs to the authority of the officer who started it: any user of that authority
may see it, nobody else may learn that it exists. A draft of another authority is reported
exactly like a missing one. Every view and change goes to the audit trail, with the draft
kind but never the document's contents (they may hold personal data, Art. 36).

A draft is sent once (:func:`hanoi.cases.sending.send_draft`): from then on it is its request
and leaves the listing, and it can no longer be changed, unless a supervisor returns the
request for changes (four eyes): then it is listed and edited again, and sending it again
resubmits the same request. The database holds one request per draft at most.

A stored document is at most 1 MiB of JSON. Each draft has a ``version`` (1 when saved, one
more per update); an editor passes the version it opened as ``expected_version`` and gets
:class:`DraftConflict` instead of silently overwriting a colleague's change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.drafting_models import Draft
from hanoi.cases.errors import CasesError
from hanoi.cases.lifecycle import Status
from hanoi.cases.models import CaseRequest
from hanoi.db.base import utcnow
from hanoi.errors import Conflict, InvalidInput, NotAllowed, NotFound

KIND_PATTERN = re.compile(r"[a-z0-9_.-]{1,64}")
MAX_DOCUMENT_BYTES = 1 << 20
DraftPurpose = Literal["view", "letter"]
_PURPOSE_ACTIONS: dict[str, str] = {"view": "draft.view", "letter": "draft.letter"}


class DraftNotFound(CasesError, NotFound):
    """No such draft, or one outside the user's authority (the same answer)."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(f"no draft {draft_id!r}")
        self.draft_id = draft_id


class DraftForbidden(CasesError, NotAllowed):
    """The user's role does not work on drafts."""

    def __init__(self, role: str) -> None:
        super().__init__(f"the {role} role does not work on drafts")
        self.role = role


class InvalidDraft(CasesError, InvalidInput):
    """The kind is malformed, or the document is not a JSON object or is over 1 MiB."""


class DraftAlreadySent(CasesError, Conflict):
    """The draft became a request that is sent or awaits approval: it is that request now."""

    title = "Draft already sent"

    def __init__(self, draft_id: str, reference: str) -> None:
        super().__init__(f"this draft was sent as {reference}; open the request instead")
        self.draft_id = draft_id
        self.reference = reference


class DraftConflict(CasesError, Conflict):
    """The draft is no longer at the version the editor opened; nothing was stored."""

    def __init__(self, draft_id: str, expected_version: int, version: int) -> None:
        super().__init__("the draft was changed by someone else since you opened it")
        self.draft_id = draft_id
        self.expected_version = expected_version
        self.version = version


def save_draft(
    session: Session,
    *,
    user: User,
    kind: str,
    document: Mapping[str, Any],
    remote_addr: str | None = None,
) -> Draft:
    """Store a new draft (version 1) at the user's authority; ``document`` was validated."""
    _check_drafter(user)
    if not KIND_PATTERN.fullmatch(kind):
        raise InvalidDraft(f"invalid draft kind {kind!r}")
    document_json = _to_json(document)
    now = utcnow()
    draft = Draft(
        kind=kind,
        authority_id=user.authority_id,
        owner_id=user.id,
        document_json=document_json,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(draft)
    session.flush()
    _audit(session, user, "draft.create", draft, remote_addr)
    return draft


def update_draft(
    session: Session,
    *,
    user: User,
    draft_id: str,
    document: Mapping[str, Any],
    remote_addr: str | None = None,
    expected_version: int | None = None,
) -> Draft:
    """Replace the document of a draft the user may see; its ``version`` grows by one.

    With ``expected_version``, a draft now at another version raises :class:`DraftConflict`
    and nothing is stored; a sent draft raises :class:`DraftAlreadySent` (see
    :func:`lock_draft`)."""
    _check_drafter(user)
    document_json = _to_json(document)
    draft = lock_draft(session, user=user, draft_id=draft_id, expected_version=expected_version)
    draft.document_json = document_json
    draft.updated_at = utcnow()
    draft.version += 1
    session.flush()
    _audit(session, user, "draft.update", draft, remote_addr)
    return draft


def lock_draft(
    session: Session, *, user: User, draft_id: str, expected_version: int | None = None
) -> Draft:
    """The draft, locked until the transaction ends, still open to changes and, with
    ``expected_version``, still at that version.

    Raises :class:`DraftNotFound`, :class:`DraftAlreadySent` (it is a request now) or
    :class:`DraftConflict`. The row is locked before its version is read (a write on SQLite,
    a row lock on PostgreSQL), so two editors, or two sends, holding one version cannot both
    win."""
    _check_drafter(user)
    _lock_visible(session, user, draft_id)
    draft = _visible_draft(session, user, draft_id, fresh=True)
    request = request_of(session, draft)
    if request is not None and request.status != Status.RETURNED.value:
        raise DraftAlreadySent(draft.id, request.reference)
    if expected_version is not None and draft.version != expected_version:
        raise DraftConflict(draft.id, expected_version, draft.version)
    return draft


def request_of(session: Session, draft: Draft) -> CaseRequest | None:
    """The request sent from ``draft``, if it was sent."""
    return session.scalar(select(CaseRequest).where(CaseRequest.draft_id == draft.id))


def get_draft(
    session: Session,
    *,
    user: User,
    draft_id: str,
    remote_addr: str | None = None,
    purpose: DraftPurpose = "view",
    detail: Mapping[str, str] | None = None,
) -> Draft:
    """The draft, if it exists and belongs to the user's authority; else :class:`DraftNotFound`.

    Audited as ``draft.view``, or as ``draft.letter`` with ``purpose="letter"`` (a formal
    letter is made from it); ``detail`` such as ``{"format": "pdf", "language": "fr"}`` goes
    into the event next to the draft kind. It must not hold document content.
    """
    action = _PURPOSE_ACTIONS.get(purpose)
    if action is None:
        raise ValueError(f"purpose must be 'view' or 'letter', not {purpose!r}")
    _check_drafter(user)
    draft = _visible_draft(session, user, draft_id)
    _audit(session, user, action, draft, remote_addr, detail)
    return draft


def record_denied(
    session: Session, *, user: User, draft_id: str, remote_addr: str | None = None
) -> None:
    """Audit ``draft.denied``: ``user`` asked for a draft that is missing or not theirs to see.

    For the web layer, in a fresh transaction after :class:`DraftNotFound` (whose own
    transaction rolls back). Like ``DraftNotFound``, it does not tell the two cases apart.
    """
    audit.record(
        session,
        actor=user.username,
        action="draft.denied",
        target_type="draft",
        target_id=draft_id[:64],
        remote_addr=remote_addr,
    )


def list_drafts(session: Session, *, user: User, remote_addr: str | None = None) -> list[Draft]:
    """The drafts of the user's authority not yet sent (or returned for changes), most
    recently changed first."""
    _check_drafter(user)
    # A sent draft is its request now; a returned one is being worked on again.
    sent = select(CaseRequest.draft_id).where(
        CaseRequest.draft_id.is_not(None), CaseRequest.status != Status.RETURNED.value
    )
    query = (
        select(Draft)
        .where(Draft.authority_id == user.authority_id, Draft.id.not_in(sent))
        .order_by(Draft.updated_at.desc(), Draft.id.desc())
    )
    drafts = list(session.scalars(query))
    audit.record(
        session,
        actor=user.username,
        action="draft.list",
        target_type="authority",
        target_id=user.authority_id,
        detail={"count": len(drafts)},
        remote_addr=remote_addr,
    )
    return drafts


def _visible_draft(session: Session, user: User, draft_id: str, *, fresh: bool = False) -> Draft:
    draft = session.get(Draft, draft_id, populate_existing=fresh)
    if draft is None or draft.authority_id != user.authority_id:
        raise DraftNotFound(draft_id)
    return draft


def _lock_visible(session: Session, user: User, draft_id: str) -> None:
    # A no-op UPDATE: on SQLite it takes the database write lock, on PostgreSQL the row lock,
    # so the version read next cannot change before this transaction ends.
    session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.authority_id == user.authority_id)
        .values(version=Draft.version)
        .execution_options(synchronize_session=False)
    )


def _check_drafter(user: User) -> None:
    # Auditors read the trail, not case content; administrators manage accounts, not cases.
    if not allowed(user.role, Permission.DRAFT_REQUESTS):
        raise DraftForbidden(user.role.value)


def _to_json(document: Mapping[str, Any]) -> str:
    if not isinstance(document, Mapping):
        raise InvalidDraft("a draft document must be a JSON object")
    try:
        text = json.dumps(dict(document), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidDraft(f"draft document is not JSON-able: {exc}") from None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidDraft(
            f"document is {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,} (1 MiB)"
        )
    return text


def _audit(
    session: Session,
    user: User,
    action: str,
    draft: Draft,
    remote_addr: str | None,
    detail: Mapping[str, str] | None = None,
) -> None:
    audit.record(
        session,
        actor=user.username,
        action=action,
        target_type="draft",
        target_id=draft.id,
        detail={**(detail or {}), "kind": draft.kind},
        remote_addr=remote_addr,
    )
