"""Finding this node's authorities and users: read-only queries.

Apart from :mod:`hanoi.accounts.service` (adding them, signing in), so that a command that
only looks its user up does not load the password hashing (argon2) and TOTP with it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.accounts.models import Authority, User


def get_authority_by_code(session: Session, code: str) -> Authority | None:
    return session.scalar(select(Authority).where(Authority.code == code))


def list_authorities(session: Session) -> list[Authority]:
    return list(session.scalars(select(Authority).order_by(Authority.code)))


def get_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session, *, authority_code: str | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if authority_code is not None:
        query = query.join(User.authority).where(Authority.code == authority_code)
    return list(session.scalars(query))
