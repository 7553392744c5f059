"""Save, reopen and list request drafts, with need-to-know by authority.

A draft belongs to the authority of the officer who started it: any user of that authority
may see it, nobody else may learn that it exists. A draft of another authority is reported
exactly like a missing one. Every view and change goes to the audit trail, with the draft
kind but never the document's contents (they may hold personal data, Art. 36).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.errors import CasesError
from hanoi.cases.models import Draft
from hanoi.db.base import utcnow

KIND_PATTERN = re.compile(r"[a-z0-9_.-]{1,64}")


class DraftError(CasesError):
    """Base for errors raised by the draft service; a :class:`CasesError` like the rest."""


class DraftNotFound(DraftError):
    def __init__(self, draft_id: str) -> None:
        super().__init__(f"no draft {draft_id!r}")
        self.draft_id = draft_id


class DraftForbidden(DraftError):
    def __init__(self, role: str) -> None:
        super().__init__(f"the {role} role does not work on drafts")
        self.role = role


class InvalidDraft(DraftError):
    """The kind is malformed or the document is not a JSON object."""


def save_draft(
    session: Session,
    *,
    user: User,
    kind: str,
    document: Mapping[str, Any],
    remote_addr: str | None = None,
) -> Draft:
    """Store a new draft at the user's authority; ``document`` was validated by the caller."""
    _check_drafter(user)
    if not KIND_PATTERN.fullmatch(kind):
        raise InvalidDraft(f"invalid draft kind {kind!r}")
    now = utcnow()
    draft = Draft(
        kind=kind,
        authority_id=user.authority_id,
        owner_id=user.id,
        document_json=_to_json(document),
        created_at=now,
        updated_at=now,
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
) -> Draft:
    """Replace the document of a draft the user may see."""
    _check_drafter(user)
    draft = _visible_draft(session, user, draft_id)
    draft.document_json = _to_json(document)
    draft.updated_at = utcnow()
    session.flush()
    _audit(session, user, "draft.update", draft, remote_addr)
    return draft


def get_draft(
    session: Session, *, user: User, draft_id: str, remote_addr: str | None = None
) -> Draft:
    """The draft, if it exists and belongs to the user's authority; else :class:`DraftNotFound`."""
    _check_drafter(user)
    draft = _visible_draft(session, user, draft_id)
    _audit(session, user, "draft.view", draft, remote_addr)
    return draft


def list_drafts(session: Session, *, user: User, remote_addr: str | None = None) -> list[Draft]:
    """The drafts of the user's authority, most recently changed first."""
    _check_drafter(user)
    query = (
        select(Draft)
        .where(Draft.authority_id == user.authority_id)
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


def _visible_draft(session: Session, user: User, draft_id: str) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None or draft.authority_id != user.authority_id:
        raise DraftNotFound(draft_id)
    return draft


def _check_drafter(user: User) -> None:
    # Auditors read the trail, not case content; administrators manage accounts, not cases.
    if not allowed(user.role, Permission.DRAFT_REQUESTS):
        raise DraftForbidden(user.role.value)


def _to_json(document: Mapping[str, Any]) -> str:
    if not isinstance(document, Mapping):
        raise InvalidDraft("a draft document must be a JSON object")
    try:
        return json.dumps(dict(document), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidDraft(f"draft document is not JSON-able: {exc}") from None


def _audit(
    session: Session, user: User, action: str, draft: Draft, remote_addr: str | None
) -> None:
    audit.record(
        session,
        actor=user.username,
        action=action,
        target_type="draft",
        target_id=draft.id,
        detail={"kind": draft.kind},
        remote_addr=remote_addr,
    )
