"""Write and read the audit trail; check that nobody rewrote it.

:func:`record` joins the caller's transaction: the event is committed with the change it
describes, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hanoi.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, canonical_json
from hanoi.db.base import utcnow

SYSTEM_ACTOR = "system"

# Key fragments that mark a secret; such keys never belong in an audit detail.
_SECRET_MARKERS = ("password", "secret", "totp", "token", "otp_code")


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
    remote_addr: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``detail`` must be JSON-able and must not contain secrets; keys that look like secrets
    (password, token, TOTP...) are refused outright rather than silently logged.

    ``at`` (default: now) must be timezone-aware; it is converted to UTC before hashing, so
    the hash covers exactly the time the database gives back. A naive ``at`` is a ValueError.
    """
    if detail is not None:
        _refuse_secrets(detail)
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError("naive datetime given for an audit event: pass a timezone-aware time")
    at = (at or utcnow()).astimezone(UTC)
    # Taking the head row's lock first stops two writers from chaining onto the same hash;
    # the same statement hands back the hash to chain onto.
    head = session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(length=AuditChainHead.length + 1)
        .returning(AuditChainHead.last_hash)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    event = AuditEvent(
        at=at,
        actor=actor[:100],
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=None if detail is None else canonical_json(dict(detail)),
        remote_addr=remote_addr[:64] if remote_addr else None,
        prev_hash=head,
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_hash=event.hash)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return event


def _refuse_secrets(detail: Mapping[str, Any]) -> None:
    for key in detail:
        lowered = str(key).lower()
        if any(marker in lowered for marker in _SECRET_MARKERS):
            raise ValueError(f"audit detail key {key!r} looks like a secret; leave it out")


def list_events(
    session: Session,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> list[AuditEvent]:
    """The newest events first, optionally only one actor's, action's or target's."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if target_type is not None:
        query = query.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    return list(session.scalars(query))


def verify_chain(session: Session) -> list[int]:
    """Ids of events whose hash or link to their predecessor does not hold; empty if intact.

    A row whose content was changed fails its own hash; a row whose hash was recomputed to
    cover the change breaks the next row's link. Removing the newest rows leaves no trace
    here: the ledger's signed checkpoints cover that.
    """
    broken: list[int] = []
    expected_prev = GENESIS_HASH
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != expected_prev or event.hash != event.compute_hash():
            broken.append(event.id)
        expected_prev = event.hash
    return broken
