"""Who did what, when: an append-only, hash-chained audit trail shared by every domain."""

from hanoi.audit.models import GENESIS_HASH, AuditEvent
from hanoi.audit.service import SYSTEM_ACTOR, list_events, record, verify_chain

__all__ = [
    "GENESIS_HASH",
    "SYSTEM_ACTOR",
    "AuditEvent",
    "list_events",
    "record",
    "verify_chain",
]
