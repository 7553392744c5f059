"""Who did what, when: an append-only, hash-chained audit trail shared by every domain."""

from hanoi.audit.models import GENESIS_HASH, AuditEvent
from hanoi.audit.refusals import flush_refusals, record_refusal, refusals_of, summary_text
from hanoi.audit.service import (
    SYSTEM_ACTOR,
    ChainCheck,
    list_events,
    record,
    verify,
    verify_chain,
)

__all__ = [
    "GENESIS_HASH",
    "SYSTEM_ACTOR",
    "AuditEvent",
    "ChainCheck",
    "flush_refusals",
    "list_events",
    "record",
    "record_refusal",
    "refusals_of",
    "summary_text",
    "verify",
    "verify_chain",
]
