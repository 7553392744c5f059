"""Server-side sessions: signing out really ends a session, even for a copied cookie.

The browser holds a random token (32 bytes, URL-safe base64); the ``user_sessions`` table
holds only its SHA-256, so neither a database dump nor the audit trail can be replayed as a
cookie. A token is looked up by its hash: the comparison happens on a digest the caller cannot
steer, so it leaks nothing about the stored secret through timing.

A session ends when it is closed (sign-out), when all of a user's sessions are closed (a
password change or an administrator), when it expires, or when its user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.lookup import get_user_by_username
from hanoi.accounts.models import User
from hanoi.accounts.session_models import UserSession
from hanoi.db.base import utcnow
from hanoi.errors import NotFound

SESSION_LIFETIME = timedelta(hours=8)
# ``last_seen_at`` is written at most this often, so reading a session is usually read-only.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
TOKEN_BYTES = 32
# secrets.token_urlsafe(32) is 43 characters; anything far longer is not one of ours.
_MAX_TOKEN_LENGTH = 128


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _find(session: Session, token: str) -> UserSession | None:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return session.get(UserSession, _session_id(token), populate_existing=True)


def open_session(
    session: Session,
    *,
    user: User,
    remote_addr: str | None = None,
    now: datetime | None = None,
    lifetime: timedelta = SESSION_LIFETIME,
) -> str:
    """Start a session for ``user`` and return its token, to be sent to the browser only.

    Audited as ``session.open``. The user's sessions that have already expired are removed
    on the way, so the table holds only sessions that could still be presented.
    """
    if lifetime <= timedelta(0):
        raise ValueError(f"a session lifetime must be positive, not {lifetime}")
    now = now or utcnow()
    session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = UserSession(
        id=_session_id(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        remote_addr=remote_addr[:64] if remote_addr else None,
    )
    session.add(row)
    session.flush()
    _audit(session, user.username, "session.open", user, row, remote_addr, now)
    return token


def user_for_session(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The signed-in user of ``token``; ``None`` if unknown, revoked, expired or disabled.

    Refreshes ``last_seen_at`` when it is at least a minute old.
    """
    now = now or utcnow()
    row = _find(session, token)
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        session.flush()
    return user


def close_session(
    session: Session,
    token: str,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> None:
    """Sign out: revoke the session and audit ``sign_out`` with its user as the actor.

    Unknown, already revoked and expired tokens are left alone and not audited: there is no
    session left to end.
    """
    now = now or utcnow()
    row = _find(session, token)
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return
    row.revoked_at = now
    session.flush()
    user = session.get_one(User, row.user_id)
    _audit(session, user.username, "sign_out", user, row, remote_addr, now)


def close_all_sessions(
    session: Session, *, username: str, actor: str, now: datetime | None = None
) -> int:
    """Revoke every live session of ``username``; the number revoked.

    For a password change or an administrator. Audited as ``session.close_all`` with
    ``actor`` and the count, even when there was nothing to close. Raises
    :class:`~hanoi.errors.NotFound` for a user name nobody has.
    """
    now = now or utcnow()
    user = get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    result = session.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0))
    audit.record(
        session,
        actor=actor,
        action="session.close_all",
        target_type="user",
        target_id=user.id,
        detail={"count": count},
        at=now,
    )
    return count


def _audit(
    session: Session,
    actor: str,
    action: str,
    user: User,
    row: UserSession,
    remote_addr: str | None,
    now: datetime,
) -> None:
    # A prefix of the token's hash ties open and close together and cannot be replayed.
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="user",
        target_id=user.id,
        detail={"session": row.id[:16]},
        remote_addr=remote_addr,
        at=now,
    )
