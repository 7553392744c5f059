"""Who may do what: the least privilege each role needs, in one table."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    DRAFT_REQUESTS = "draft_requests"
    SEND_REQUESTS = "send_requests"
    ACT_ON_REQUESTS = "act_on_requests"
    #: Refusing is a decision of the authority, not of the officer on duty (Art. 40).
    REFUSE_REQUESTS = "refuse_requests"
    #: Four eyes: a supervisor approves what leaves the State (cases/approval.py).
    APPROVE_REQUESTS = "approve_requests"
    READ_REQUESTS = "read_requests"
    READ_AUDIT = "read_audit"


_OFFICER = frozenset(
    {
        Permission.DRAFT_REQUESTS,
        Permission.SEND_REQUESTS,
        Permission.ACT_ON_REQUESTS,
        Permission.READ_REQUESTS,
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "mla_officer": _OFFICER | {Permission.REFUSE_REQUESTS},
    "duty_officer": _OFFICER,
    "supervisor": _OFFICER | {Permission.REFUSE_REQUESTS, Permission.APPROVE_REQUESTS},
    "auditor": frozenset({Permission.READ_AUDIT}),
    "admin": frozenset({Permission.READ_AUDIT}),
}


def allowed(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
