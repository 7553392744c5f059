"""Authorities, users, roles, signing in (argon2id, TOTP, throttling) and server-side sessions."""

from hanoi.accounts.errors import (
    SignInFailed,
    SignInThrottled,
    TotpRequired,
)
from hanoi.accounts.models import Authority, AuthorityKind, Role, User, UserSession
from hanoi.accounts.service import (
    UNKNOWN_ACTOR,
    USERNAME_PATTERN,
    add_user,
    authenticate,
    create_authority,
    enable_totp,
    get_authority_by_code,
    get_user,
    get_user_by_username,
    list_authorities,
    list_users,
    username_hmac,
)
from hanoi.accounts.sessions import (
    SESSION_LIFETIME,
    close_all_sessions,
    close_session,
    open_session,
    user_for_session,
)

__all__ = [
    "SESSION_LIFETIME",
    "UNKNOWN_ACTOR",
    "USERNAME_PATTERN",
    "Authority",
    "AuthorityKind",
    "Role",
    "SignInFailed",
    "SignInThrottled",
    "TotpRequired",
    "User",
    "UserSession",
    "add_user",
    "authenticate",
    "close_all_sessions",
    "close_session",
    "create_authority",
    "enable_totp",
    "get_authority_by_code",
    "get_user",
    "get_user_by_username",
    "list_authorities",
    "list_users",
    "open_session",
    "user_for_session",
    "username_hmac",
]
