"""Who may do what: the least privilege each role needs, in one table."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    DRAFT_REQUESTS = "draft_requests"
    READ_AUDIT = "read_audit"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "mla_officer": frozenset({Permission.DRAFT_REQUESTS}),
    "duty_officer": frozenset({Permission.DRAFT_REQUESTS}),
    "supervisor": frozenset({Permission.DRAFT_REQUESTS}),
    "auditor": frozenset({Permission.READ_AUDIT}),
    "admin": frozenset({Permission.READ_AUDIT}),
}


def allowed(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
