"""What signing in keeps: the failures that throttle guessing, browser sessions, API tokens.

Apart from :mod:`hanoi.accounts.models` (authorities and users), which every command that
acts as a user loads: these tables are read and written by signing in and by the web
application's callers only. The tables are created by migration ``0001``; these classes map
onto them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hanoi.accounts.models import User
from hanoi.db.base import Base, UTCDateTime, utcnow


class SignInThrottle(Base):
    """Consecutive failures for one key (``user:<name>`` or ``addr:<ip>``), kept across restarts."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Base):
    """One signed-in browser, kept on the server so that signing out really ends it.

    ``id`` is the SHA-256 (hex) of the session token handed to the browser; the token itself
    is never stored, so a copy of this table cannot be replayed as a cookie.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"UserSession({self.id[:12]!r}..., user={self.user_id!r})"


class ApiToken(Base):
    """A per-user token for the JSON API (a State's case-management system acting as that
    user). Only the token's SHA-256 is stored (``id``); ``prefix`` lets people tell their
    tokens apart without the secret."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
