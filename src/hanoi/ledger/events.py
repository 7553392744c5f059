"""Changes to the node's own keys, as entries of its custody ledger.

A rotated or revoked key changes which signatures of this node verify, so the change is
itself custody evidence: a court looking at a signed receipt years later must be able to
see when the key that made it stopped being the node's. Each change becomes one
``key-rotation`` leaf (a salted commitment, like every other leaf) and one audit row, both
in one transaction, so the ledger and the audit trail never disagree about it.

The key store is on disk, not in the database: the caller changes it first and logs it
here afterwards, and must report a failure of this step instead of hiding it. A change
that could not be logged then is logged later by :func:`log_missing_key_events`, which
reads it back from the keyring (``hanoi node log-key-changes``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hanoi import audit
from hanoi.crypto.keys import KEY_KINDS, KeyRecord, Keyring, KeyStore
from hanoi.crypto.keys import format_time as format_key_time
from hanoi.db.database import Database
from hanoi.ledger import merkle, store
from hanoi.ledger.models import LedgerEntry, LedgerState
from hanoi.ledger.queue_models import LedgerPending
from hanoi.ledger.records import MalformedRecord, new_record, parse_leaf

KEY_EVENT_KIND = "key-rotation"
ROTATED_ACTION = "node.key.rotated"
REVOKED_ACTION = "node.key.revoked"
_ACTIONS = {"rotate": ROTATED_ACTION, "revoke": REVOKED_ACTION}


def rotation_detail(
    key_kind: str, old_kid: str | None, new_kid: str, grace_until: datetime | None
) -> dict[str, Any]:
    """The detail of a rotation. ``grace_until`` is when the old key stops verifying; it
    is ``None`` only when there was no old key, so nothing is in a grace period."""
    return {
        "event": "rotate",
        "key_kind": key_kind,
        "old_kid": old_kid,
        "new_kid": new_kid,
        # The keyring's own time form, so the entry matches the old key's not_after there.
        "grace_until": None if grace_until is None else format_key_time(grace_until),
    }


def revocation_detail(key_kind: str, kid: str, reason: str) -> dict[str, Any]:
    """The detail of a revocation, with the reason as the keyring keeps it."""
    return {"event": "revoke", "key_kind": key_kind, "kid": kid, "reason": reason}


def log_key_event(
    db: Database,
    state: str,
    detail: Mapping[str, Any],
    at: datetime,
    *,
    actor: str = audit.SYSTEM_ACTOR,
) -> str:
    """Queue a ``key-rotation`` leaf for ``detail`` and audit it, in one transaction.

    ``state`` is the node's State code and ``at`` the moment the key changed. Returns the
    leaf hash (hex), which the audit row also names so either can be found from the other.
    The ledger worker integrates and signs the leaf later, as it does every queued event.
    """
    _check_event(detail)
    with db.session() as session:
        return _queue_key_event(session, state, detail, at, actor)


def _check_event(detail: Mapping[str, Any]) -> str:
    action = _ACTIONS.get(str(detail.get("event")))
    if action is None:
        raise ValueError(f"a key event is 'rotate' or 'revoke', not {detail.get('event')!r}")
    return action


def _queue_key_event(
    session: Session, state: str, detail: Mapping[str, Any], at: datetime, actor: str
) -> str:
    """The leaf and the audit row of one key change, in the caller's transaction."""
    action = _check_event(detail)
    record = new_record(KEY_EVENT_KIND, state, detail, at=at)
    leaf_hash = merkle.leaf_hash(record.leaf_bytes).hex()
    store.append(session, record)
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="key",
        target_id=_target(detail),
        detail={**detail, "ledger_leaf": leaf_hash},
        at=at,
    )
    return leaf_hash


def _target(detail: Mapping[str, Any]) -> str | None:
    """The kid a reader of the audit trail looks for: the new key, or the revoked one."""
    target = detail.get("new_kid") or detail.get("kid")
    return None if target is None else str(target)


# --- changes the keyring holds and the ledger lacks ----------------------------------------


@dataclass(frozen=True)
class KeyChange:
    """One change the keyring records: when it happened and the detail of its entry."""

    at: datetime
    detail: dict[str, Any]


def keyring_changes(keyring: Keyring) -> list[KeyChange]:
    """Every rotation and revocation ``keyring`` records, oldest first.

    How a rotation is read back, key kind by key kind:

    * the keyring only ever appends keys, so its order is the order they were made, and the
      first key of each kind is the one ``hanoi node init`` made: not a rotation, never
      logged. Every later key of the kind was made by a rotation, at its ``created`` time;
    * the old key of that rotation was the key of the same kind made just before it, if
      that key was still active then. A rotation gives the key it replaces a ``not_after``
      (the end of its grace period) and nothing else ever does, so: a previous key with a
      ``not_after`` is ``old_kid`` and its ``not_after`` is ``grace_until``, exactly the
      values the rotation logged; a previous key without one had been revoked while active,
      the rotation found no active key, and ``old_kid`` and ``grace_until`` are ``None``.

    A revocation is read from the revoked key: its ``revoked_at`` and the reason the keyring
    kept. The details are built by :func:`rotation_detail` and :func:`revocation_detail`,
    so they are the ones the rotate and revoke commands log.
    """
    changes = [*_rotations(keyring), *_revocations(keyring)]
    # A stable sort: changes made at the same instant keep the order they were listed in.
    return sorted(changes, key=lambda change: change.at)


def _rotations(keyring: Keyring) -> Iterator[KeyChange]:
    for kind in KEY_KINDS:
        keys = [record for record in keyring.keys if record.kind == kind]
        for before, new in pairwise(keys):
            yield KeyChange(new.created, _rotation_of(before, new))


def _rotation_of(before: KeyRecord, new: KeyRecord) -> dict[str, Any]:
    if before.not_after is None:
        return rotation_detail(new.kind, None, new.kid, None)
    return rotation_detail(new.kind, before.kid, new.kid, before.not_after)


def _revocations(keyring: Keyring) -> Iterator[KeyChange]:
    for record in keyring.keys:
        if record.revoked_at is not None:
            reason = record.revocation_reason or ""
            yield KeyChange(record.revoked_at, revocation_detail(record.kind, record.kid, reason))


def _change_id(detail: Mapping[str, Any]) -> tuple[str, str]:
    """What makes two entries the same change: the event, and the new or revoked kid."""
    event = str(detail.get("event"))
    kid = detail.get("new_kid") if event == "rotate" else detail.get("kid")
    return event, str(kid)


def log_missing_key_events(
    db: Database, state: str, keys: KeyStore, *, actor: str = audit.SYSTEM_ACTOR
) -> list[dict[str, Any]]:
    """Log every change of the node's keyring that the ledger does not hold yet, oldest
    first, in one transaction; returns their details (empty when nothing was missing).

    A change is held when a ``key-rotation`` entry, integrated or still queued, has the
    same event and kid (the new kid of a rotation, the revoked kid of a revocation), so a
    second call logs nothing. Each entry and audit row carries the time the keyring gives
    for the change, not the time of this call. See :func:`keyring_changes` for how
    rotations are read back from the keyring.

    Logging a change while its own command is still logging it would log it twice: run
    this once the command has failed, not beside it.
    """
    changes = keyring_changes(keys.keyring())
    with db.session() as session:
        _take_integrators_turn(session)
        logged = _logged_change_ids(session)
        missing = [c for c in changes if _change_id(c.detail) not in logged]
        for change in missing:
            _queue_key_event(session, state, change.detail, change.at, actor)
    return [change.detail for change in missing]


def _take_integrators_turn(session: Session) -> None:
    """Lock the ledger's state row, as an integrator does, until the transaction ends.

    While it is held no queued entry moves into the tree, so none is missed between the
    two tables, and a second reconciliation waits for this one and then sees its entries.
    """
    session.execute(
        update(LedgerState)
        .where(LedgerState.id == 1)
        .values(size=LedgerState.size)
        .execution_options(synchronize_session=False)
    )


def _logged_change_ids(session: Session) -> set[tuple[str, str]]:
    """The changes the ledger's ``key-rotation`` entries record, queued or integrated."""
    found: set[tuple[str, str]] = set()
    for key, leaf, detail in _TABLES:
        found |= _change_ids_in(session, key, leaf, detail)
    return found


# (row key, leaf, detail) of the queue and of the tree.
_TABLES = (
    (LedgerPending.id, LedgerPending.leaf, LedgerPending.detail),
    (LedgerEntry.seq, LedgerEntry.leaf, LedgerEntry.detail),
)
# Leaves are canonical JSON, so a key event's leaf holds exactly these bytes: a cheap test
# that spares parsing every other leaf of a large ledger.
_KEY_EVENT_BYTES = f'"kind":"{KEY_EVENT_KIND}"'.encode()


def _change_ids_in(
    session: Session,
    key: InstrumentedAttribute[int],
    leaf: InstrumentedAttribute[bytes],
    detail: InstrumentedAttribute[bytes],
) -> set[tuple[str, str]]:
    # Leaves first, details only of the few key events: a detail can be far larger.
    rows = session.execute(select(key, leaf)).yield_per(5000)
    wanted = [row_key for row_key, data in rows if _is_key_event(bytes(data))]
    if not wanted:
        return set()
    details = session.execute(select(detail).where(key.in_(wanted))).scalars()
    parsed = (_parsed_detail(bytes(data)) for data in details)
    return {_change_id(value) for value in parsed if value is not None}


def _is_key_event(leaf: bytes) -> bool:
    if _KEY_EVENT_BYTES not in leaf:
        return False
    try:
        return parse_leaf(leaf).kind == KEY_EVENT_KIND
    except MalformedRecord:
        return False  # not a leaf at all: fsck names it, it records no change


def _parsed_detail(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


__all__ = [
    "KEY_EVENT_KIND",
    "REVOKED_ACTION",
    "ROTATED_ACTION",
    "KeyChange",
    "keyring_changes",
    "log_key_event",
    "log_missing_key_events",
    "revocation_detail",
    "rotation_detail",
]
