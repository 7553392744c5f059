"""Write and read the audit trail; check that nobody rewrote it.

:func:`record` joins the caller's transaction: the event is committed with the change it
describes, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hanoi.audit.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    canonical_json,
)
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
        check_detail(detail)
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


def check_detail(detail: Mapping[str, Any]) -> None:
    """A ValueError if a key of ``detail`` looks like a secret (see :func:`record`)."""
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
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    after_id: int | None = None,
) -> list[AuditEvent]:
    """The newest events first, optionally only one actor's, action's or target's, and only
    those at or after ``since`` and before ``until``.

    Pages by id (keyset), so a page costs the same however deep it is: ``before_id`` gives
    the ``limit`` newest events older than that id, ``after_id`` the ``limit`` oldest ones
    newer than it (still returned newest first)."""
    query = select(AuditEvent)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if target_type is not None:
        query = query.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if after_id is not None:
        query = query.where(AuditEvent.id > after_id)
        events = list(session.scalars(query.order_by(AuditEvent.id.asc()).limit(limit)))
        return events[::-1]
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


#: Rows read from the database at a time while verifying: the chain may be long.
VERIFY_BATCH = 1000


def verify_chain(session: Session) -> list[int]:
    """Ids of events whose hash or link to their predecessor does not hold; empty if intact.

    A row whose content was changed fails its own hash; a row whose hash was recomputed to
    cover the change breaks the next row's link. Removing the newest rows leaves no trace
    here: the ledger's signed checkpoints cover that. Reads the whole chain and writes
    nothing; :func:`verify` is what the audit page and ``hanoi audit verify`` run.
    """
    broken, _, _ = _walk(session, 0, GENESIS_HASH)
    return broken


@dataclass(frozen=True)
class ChainCheck:
    """What one verification found."""

    broken: list[int]
    """Ids of the events that fail, oldest first; empty if the chain holds."""
    checked: int
    """Events whose hash and link were recomputed this time."""
    checkpoint: int
    """The id of the newest event known good after this check (0: none yet)."""
    full: bool
    """Whether the chain was verified from its first event, not from the checkpoint."""


def verify(session: Session, *, full: bool = False, now: datetime | None = None) -> ChainCheck:
    """Verify the events after the checkpoint (``full``: every event), then move the
    checkpoint up to the newest event before the first break; in the caller's transaction.

    The checkpoint keeps its event's hash: an event rewritten at the checkpoint, removed, or
    reached by a chain rewritten with every hash recomputed no longer matches it and is
    reported (as the checkpoint's event id) on every check, which then keeps the checkpoint
    where it is. A change to an older event that leaves the checkpoint's own row alone is
    found only by the ``full`` check.
    """
    checkpoint = session.get(AuditCheckpoint, 1, populate_existing=True)
    if checkpoint is None:  # removed behind our back: start again from the first event
        checkpoint = AuditCheckpoint(id=1, event_id=0, event_hash=GENESIS_HASH)
        session.add(checkpoint)
        session.flush()
    since, since_hash = checkpoint.event_id, checkpoint.event_hash
    broken: list[int] = []
    if since > 0:
        anchor = session.get(AuditEvent, since)
        if anchor is None or anchor.hash != since_hash or anchor.hash != anchor.compute_hash():
            broken.append(since)
    if full:
        found, checked, good = _walk(session, 0, GENESIS_HASH)
        broken = sorted(set(found) | set(broken))
    else:
        found, checked, good = _walk(session, since, since_hash)
        broken += found
    if since not in broken and good[0] > since:
        # Only ever forward: a concurrent check may have moved it further already.
        session.execute(
            update(AuditCheckpoint)
            .where(AuditCheckpoint.id == 1, AuditCheckpoint.event_id < good[0])
            .values(event_id=good[0], event_hash=good[1], verified_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
    current = session.get(AuditCheckpoint, 1, populate_existing=True)
    return ChainCheck(
        broken=broken,
        checked=checked,
        checkpoint=current.event_id if current is not None else 0,
        full=full,
    )


def _walk(
    session: Session, after: int, expected_prev: str
) -> tuple[list[int], int, tuple[int, str]]:
    """Verify the events after id ``after``, the first chained onto ``expected_prev``.

    Returns the broken ids, how many events were checked, and the newest (id, hash) before
    the first break (``(after, expected_prev)`` if there is none).
    """
    broken: list[int] = []
    checked = 0
    good = (after, expected_prev)
    query = (
        select(AuditEvent)
        .where(AuditEvent.id > after)
        .order_by(AuditEvent.id)
        .execution_options(yield_per=VERIFY_BATCH)
    )
    for event in session.scalars(query):
        checked += 1
        if event.prev_hash != expected_prev or event.hash != event.compute_hash():
            broken.append(event.id)
        elif not broken:
            good = (event.id, event.hash)
        expected_prev = event.hash
    return broken, checked, good
