"""Server-side sessions: a signed-out or expired token no longer names anyone."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts import lookup
from hanoi.accounts.models import User
from hanoi.accounts.session_models import UserSession
from hanoi.accounts.sessions import (
    SESSION_LIFETIME,
    close_all_sessions,
    close_session,
    open_session,
    user_for_session,
)
from hanoi.db import Database
from hanoi.errors import NotFound

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _user(session: Session, username: str) -> User:
    user = lookup.get_user_by_username(session, username)
    assert user is not None
    return user


def _open(
    db: Database,
    username: str = "alice",
    *,
    at: datetime = T0,
    remote_addr: str | None = None,
    lifetime: timedelta = SESSION_LIFETIME,
) -> str:
    with db.session() as session:
        user = _user(session, username)
        return open_session(session, user=user, now=at, remote_addr=remote_addr, lifetime=lifetime)


def _who(db: Database, token: str, *, at: datetime = T0) -> str | None:
    with db.session() as session:
        user = user_for_session(session, token, now=at)
        return None if user is None else user.username


def _rows(db: Database) -> list[UserSession]:
    with db.session() as session:
        return list(session.scalars(select(UserSession).order_by(UserSession.created_at)))


def test_open_stores_only_the_hash_of_the_token(seeded_db: Database) -> None:
    token = _open(seeded_db, at=T0, remote_addr="192.0.2.4")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes, URL-safe
    (row,) = _rows(seeded_db)
    assert row.id == hashlib.sha256(token.encode()).hexdigest()
    assert (row.created_at, row.last_seen_at) == (T0, T0)
    assert row.expires_at == T0 + SESSION_LIFETIME == T0 + timedelta(hours=8)
    assert row.revoked_at is None
    assert row.remote_addr == "192.0.2.4"
    with seeded_db.session() as session:
        assert row.user_id == _user(session, "alice").id
        (event,) = audit.list_events(session, action="session.open")
    assert (event.actor, event.target_id, event.remote_addr) == ("alice", row.user_id, "192.0.2.4")
    assert event.detail_data == {"session": row.id[:16]}
    assert token not in (event.detail or "")


def test_tokens_are_fresh_each_time(seeded_db: Database) -> None:
    tokens = {_open(seeded_db) for _ in range(5)}
    assert len(tokens) == 5
    assert len(_rows(seeded_db)) == 5


def test_token_names_its_user_until_it_expires(seeded_db: Database) -> None:
    token = _open(seeded_db, at=T0)
    bob_token = _open(seeded_db, "bob", at=T0)
    assert _who(seeded_db, token, at=T0 + timedelta(hours=1)) == "alice"
    assert _who(seeded_db, bob_token, at=T0 + timedelta(hours=1)) == "bob"
    assert _who(seeded_db, token, at=T0 + SESSION_LIFETIME - timedelta(seconds=1)) == "alice"
    assert _who(seeded_db, token, at=T0 + SESSION_LIFETIME) is None


def test_lifetime_can_be_chosen_but_must_be_positive(seeded_db: Database) -> None:
    token = _open(seeded_db, at=T0, lifetime=timedelta(minutes=5))
    assert _who(seeded_db, token, at=T0 + timedelta(minutes=4)) == "alice"
    assert _who(seeded_db, token, at=T0 + timedelta(minutes=5)) is None
    with pytest.raises(ValueError, match="positive"):
        _open(seeded_db, lifetime=timedelta(0))


@pytest.mark.parametrize("token", ["", "nonsense", "A" * 43, "x" * 10_000])
def test_unknown_tokens_name_nobody(seeded_db: Database, token: str) -> None:
    _open(seeded_db)
    assert _who(seeded_db, token) is None


def test_the_hash_is_not_a_token(seeded_db: Database) -> None:
    _open(seeded_db)
    (row,) = _rows(seeded_db)
    assert _who(seeded_db, row.id) is None


def test_disabled_user_loses_their_sessions(seeded_db: Database) -> None:
    token = _open(seeded_db)
    with seeded_db.session() as session:
        _user(session, "alice").disabled = True
    assert _who(seeded_db, token) is None


def test_last_seen_is_written_at_most_once_a_minute(seeded_db: Database) -> None:
    token = _open(seeded_db, at=T0)
    _who(seeded_db, token, at=T0 + timedelta(seconds=59))
    assert _rows(seeded_db)[0].last_seen_at == T0
    _who(seeded_db, token, at=T0 + timedelta(seconds=60))
    assert _rows(seeded_db)[0].last_seen_at == T0 + timedelta(seconds=60)
    _who(seeded_db, token, at=T0 + timedelta(seconds=90))
    assert _rows(seeded_db)[0].last_seen_at == T0 + timedelta(seconds=60)


def test_signed_out_token_stops_working_even_as_a_copy(seeded_db: Database) -> None:
    token = _open(seeded_db, at=T0)
    copied = str(token)
    with seeded_db.session() as session:
        close_session(session, token, remote_addr="192.0.2.8", now=T0 + timedelta(minutes=3))
    assert _who(seeded_db, copied, at=T0 + timedelta(minutes=4)) is None
    restarted = Database(seeded_db.url)
    try:
        assert _who(restarted, copied, at=T0 + timedelta(minutes=4)) is None
    finally:
        restarted.dispose()
    (row,) = _rows(seeded_db)
    assert row.revoked_at == T0 + timedelta(minutes=3)
    with seeded_db.session() as session:
        (event,) = audit.list_events(session, action="sign_out")
        assert (event.actor, event.remote_addr) == ("alice", "192.0.2.8")
        assert event.target_id == row.user_id
        assert event.detail_data == {"session": row.id[:16]}
        assert audit.verify_chain(session) == []


def test_closing_an_unknown_revoked_or_expired_token_does_nothing(seeded_db: Database) -> None:
    token = _open(seeded_db, at=T0)
    expired = _open(seeded_db, at=T0, lifetime=timedelta(minutes=1))
    later = T0 + timedelta(minutes=2)
    with seeded_db.session() as session:
        close_session(session, "not-a-token", now=later)
        close_session(session, expired, now=later)
        close_session(session, token, now=later)
        close_session(session, token, now=later + timedelta(minutes=1))
    with seeded_db.session() as session:
        assert len(audit.list_events(session, action="sign_out")) == 1
    revoked = {row.revoked_at for row in _rows(seeded_db)}
    assert revoked == {None, later}


def test_closing_one_session_leaves_the_others(seeded_db: Database) -> None:
    laptop, phone = _open(seeded_db), _open(seeded_db)
    with seeded_db.session() as session:
        close_session(session, laptop, now=T0)
    assert _who(seeded_db, laptop) is None
    assert _who(seeded_db, phone) == "alice"


def test_close_all_ends_every_live_session_of_one_user(seeded_db: Database) -> None:
    tokens = [_open(seeded_db, at=T0) for _ in range(3)]
    old = _open(seeded_db, at=T0 - timedelta(hours=9))  # already expired
    bob = _open(seeded_db, "bob", at=T0)
    with seeded_db.session() as session:
        close_session(session, tokens[0], now=T0)
    with seeded_db.session() as session:
        count = close_all_sessions(session, username="alice", actor="root-admin", now=T0)
    assert count == 2
    assert [_who(seeded_db, t) for t in [*tokens, old]] == [None] * 4
    assert _who(seeded_db, bob) == "bob"
    with seeded_db.session() as session:
        (event,) = audit.list_events(session, action="session.close_all")
        assert (event.actor, event.detail_data) == ("root-admin", {"count": 2})
        assert event.target_id == _user(session, "alice").id
        assert close_all_sessions(session, username="alice", actor="root-admin") == 0
        with pytest.raises(NotFound, match="no user named 'nobody'"):
            close_all_sessions(session, username="nobody", actor="root-admin")


def test_opening_a_session_clears_the_users_expired_ones(seeded_db: Database) -> None:
    _open(seeded_db, at=T0 - timedelta(hours=10))
    _open(seeded_db, "bob", at=T0 - timedelta(hours=10))
    fresh = _open(seeded_db, at=T0)
    rows = _rows(seeded_db)
    assert len(rows) == 2
    assert {r.id for r in rows} >= {hashlib.sha256(fresh.encode()).hexdigest()}
    with seeded_db.session() as session:
        bob_id = _user(session, "bob").id
    assert any(r.user_id == bob_id for r in rows)  # only the user's own are cleared


def test_a_session_must_name_an_existing_user(seeded_db: Database) -> None:
    with pytest.raises(IntegrityError), seeded_db.session() as session:
        session.add(
            UserSession(
                id="0" * 64,
                user_id="01ARZ3NDEKTSV4RRFFQ69G5FAV",
                created_at=T0,
                last_seen_at=T0,
                expires_at=T0 + SESSION_LIFETIME,
            )
        )
