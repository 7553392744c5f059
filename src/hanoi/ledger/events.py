"""Changes to the node's own keys, as entries of its custody ledger.

A rotated or revoked key changes which signatures of this node verify, so the change is
itself custody evidence: a court looking at a signed receipt years later must be able to
see when the key that made it stopped being the node's. Each change becomes one
``key-rotation`` leaf (a salted commitment, like every other leaf) and one audit row, both
in one transaction, so the ledger and the audit trail never disagree about it.

The key store is on disk, not in the database: the caller changes it first and logs it
here afterwards, and must report a failure of this step instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hanoi import audit
from hanoi.crypto.keys import format_time as format_key_time
from hanoi.db.database import Database
from hanoi.ledger import merkle, store
from hanoi.ledger.records import new_record

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
    action = _ACTIONS.get(str(detail.get("event")))
    if action is None:
        raise ValueError(f"a key event is 'rotate' or 'revoke', not {detail.get('event')!r}")
    record = new_record(KEY_EVENT_KIND, state, detail, at=at)
    leaf_hash = merkle.leaf_hash(record.leaf_bytes).hex()
    # The kid a reader of the audit trail looks for: the new key, or the revoked one.
    target = detail.get("new_kid") or detail.get("kid")
    with db.session() as session:
        store.append(session, record)
        audit.record(
            session,
            actor=actor,
            action=action,
            target_type="key",
            target_id=None if target is None else str(target),
            detail={**detail, "ledger_leaf": leaf_hash},
            at=at,
        )
    return leaf_hash


__all__ = [
    "KEY_EVENT_KIND",
    "REVOKED_ACTION",
    "ROTATED_ACTION",
    "log_key_event",
    "revocation_detail",
    "rotation_detail",
]
