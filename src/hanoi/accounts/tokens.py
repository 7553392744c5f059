"""Per-user API tokens: a State's case-management system acts through the JSON API as a user.

A token is ``hanoi_`` and 32 random bytes (URL-safe base64), shown once when it is made. The
``api_tokens`` table holds only its SHA-256 (the row's id) and its first characters, so a
database dump cannot be replayed. A token is looked up by its hash, a digest the caller
cannot steer, so the lookup leaks nothing about a stored secret through timing (as sessions).

A token acts with its user's role and authority, never more, and only within its
**scopes**: ``read`` (lists, requests, timelines, evidence listings) and ``write`` (drafts,
sending, acting, approving). It stops working when it is revoked, when it expires, or when
its user is disabled. Making, revoking and each use are audited (``token.create``,
``token.revoke``, ``token.use``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import User
from hanoi.accounts.session_models import ApiToken
from hanoi.db.base import utcnow
from hanoi.errors import InvalidInput, NotAllowed, NotFound

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
TOKEN_PREFIX = "hanoi_"  # noqa: S105 (the visible mark of our tokens, not a secret)
TOKEN_BYTES = 32
MAX_LIFETIME = timedelta(days=730)
_NAME = re.compile(r"[A-Za-z0-9 ._:/-]{1,100}")
# hanoi_ + 43 characters; anything far longer is not one of ours.
_MAX_TOKEN_LENGTH = 128


class TokenScopeMissing(NotAllowed):
    """The token was not given the scope this call needs."""

    title = "Token scope missing"

    def __init__(self, scope: str) -> None:
        super().__init__(f"this token has no {scope!r} scope")
        self.scope = scope


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(scopes: Iterable[str]) -> tuple[Scope, ...]:
    """The scopes asked for, checked and in a fixed order; none given means ``read``."""
    asked = {s.strip() for s in scopes if s.strip()} or {"read"}
    unknown = sorted(asked - set(SCOPES))
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}: choose from {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in asked)


def create_token(
    session: Session,
    *,
    user: User,
    name: str,
    scopes: Iterable[str] = ("read",),
    lifetime: timedelta | None = None,
    actor: str,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns its row and the secret, which is not kept."""
    now = now or utcnow()
    if not _NAME.fullmatch(name):
        raise InvalidInput("a token name is 1 to 100 letters, digits, spaces or . _ : / -")
    if lifetime is not None and not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise InvalidInput(f"a token lasts more than 0 days and at most {MAX_LIFETIME.days}")
    if user.disabled:
        raise InvalidInput(f"{user.username} is disabled")
    chosen = parse_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        id=_token_id(secret),
        user_id=user.id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=" ".join(chosen),
        created_at=now,
        expires_at=now + lifetime if lifetime is not None else None,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "token.create", row, user, now, {"scopes": row.scopes})
    return row, secret


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc())))


def revoke_token(
    session: Session, *, user: User, prefix: str, actor: str, now: datetime | None = None
) -> ApiToken:
    """Revoke the user's token shown as ``prefix``; revoking twice is a no-op."""
    now = now or utcnow()
    row = session.scalar(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.prefix == prefix)
    )
    if row is None:
        raise NotFound(f"{user.username} has no token {prefix!r}")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
        _audit(session, actor, "token.revoke", row, user, now)
    return row


def user_for_token(
    session: Session,
    token: str,
    *,
    method: str,
    path: str,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> tuple[User, ApiToken] | None:
    """The user a live token acts as, and the token; None if it is unknown, revoked,
    expired, or its user is disabled. Each use is audited as ``token.use``."""
    now = now or utcnow()
    if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
        return None
    row = session.get(ApiToken, _token_id(token), populate_existing=True)
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.user.disabled:
        return None
    row.last_used_at = now
    session.flush()
    audit.record(
        session,
        actor=row.user.username,
        action="token.use",
        target_type="token",
        target_id=row.prefix,
        detail={"method": method[:10], "path": path[:200]},
        remote_addr=remote_addr,
        at=now,
    )
    return row.user, row


def require_scope(token: ApiToken, scope: Scope) -> None:
    """Refuse with :class:`TokenScopeMissing` unless ``token`` has ``scope``."""
    if scope not in token.scopes.split():
        raise TokenScopeMissing(scope)


def _audit(
    session: Session,
    actor: str,
    action: str,
    row: ApiToken,
    user: User,
    now: datetime,
    extra: dict[str, str] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="token",
        target_id=row.prefix,
        detail={"user": user.username, "name": row.name, **(extra or {})},
        at=now,
    )
