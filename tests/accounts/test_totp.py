"""Second factor: once enabled, sign-in needs a current, unused TOTP code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from hanoi import audit
from hanoi.accounts import service as accounts
from hanoi.accounts.errors import SignInFailed, TotpRequired
from hanoi.db import Database
from hanoi.errors import NotFound

PASSWORD = "correct horse battery"
T0 = datetime(2026, 5, 4, 8, 0, 10, tzinfo=UTC)


def _enable(db: Database, username: str = "alice") -> str:
    with db.session() as session:
        secret, uri = accounts.enable_totp(session, username)
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth"
    assert parse_qs(parsed.query)["secret"] == [secret]
    assert parse_qs(parsed.query)["issuer"] == ["Hanoi"]
    return secret


def _sign_in(db: Database, code: str | None, at: datetime = T0) -> accounts.User:
    with db.session() as session:
        return accounts.authenticate(
            session, username="alice", password=PASSWORD, totp_code=code, now=at
        )


def test_code_is_required_once_enabled(seeded_db: Database) -> None:
    _enable(seeded_db)
    with pytest.raises(TotpRequired):
        _sign_in(seeded_db, None)
    with seeded_db.session() as session:
        assert [e.action for e in audit.list_events(session, actor="alice")][:2] == [
            "sign_in.totp_required",
            "user.totp_enable",
        ]


def test_current_code_signs_in(seeded_db: Database) -> None:
    secret = _enable(seeded_db)
    user = _sign_in(seeded_db, pyotp.TOTP(secret).at(T0))
    assert user.username == "alice"
    assert user.totp_enabled


@pytest.mark.parametrize("steps", [-1, 1])
def test_codes_one_step_away_are_accepted(seeded_db: Database, steps: int) -> None:
    secret = _enable(seeded_db)
    code = pyotp.TOTP(secret).at(T0 + timedelta(seconds=30 * steps))
    assert _sign_in(seeded_db, code).username == "alice"


@pytest.mark.parametrize("steps", [-2, 2])
def test_codes_two_steps_away_are_refused(seeded_db: Database, steps: int) -> None:
    secret = _enable(seeded_db)
    with pytest.raises(SignInFailed):
        _sign_in(seeded_db, pyotp.TOTP(secret).at(T0 + timedelta(seconds=30 * steps)))


def test_wrong_code_fails_and_is_audited(seeded_db: Database) -> None:
    secret = _enable(seeded_db)
    right = pyotp.TOTP(secret).at(T0)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(SignInFailed):
        _sign_in(seeded_db, wrong)
    with seeded_db.session() as session:
        (event,) = audit.list_events(session, action="sign_in.failure")
        assert event.detail_data == {"reason": "bad_totp"}
        assert wrong not in (event.detail or "")


def test_wrong_password_with_right_code_fails(seeded_db: Database) -> None:
    secret = _enable(seeded_db)
    with pytest.raises(SignInFailed), seeded_db.session() as session:
        accounts.authenticate(
            session,
            username="alice",
            password="not the password",
            totp_code=pyotp.TOTP(secret).at(T0),
            now=T0,
        )


def test_a_code_cannot_be_used_twice(seeded_db: Database) -> None:
    secret = _enable(seeded_db)
    code = pyotp.TOTP(secret).at(T0)
    _sign_in(seeded_db, code)
    with pytest.raises(SignInFailed):
        _sign_in(seeded_db, code, at=T0 + timedelta(seconds=5))
    assert _sign_in(seeded_db, pyotp.TOTP(secret).at(T0 + timedelta(seconds=30)))


def test_enabling_for_an_unknown_user_fails(seeded_db: Database) -> None:
    with pytest.raises(NotFound, match="no user named 'mallory'"), seeded_db.session() as session:
        accounts.enable_totp(session, "mallory")


def test_secret_never_reaches_the_audit_trail(seeded_db: Database) -> None:
    secret = _enable(seeded_db)
    with seeded_db.session() as session:
        assert all(secret not in (e.detail or "") for e in audit.list_events(session))
