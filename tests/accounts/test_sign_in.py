"""Signing in: one answer for every wrong guess, throttling that survives restarts, audit."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from hanoi import audit
from hanoi.accounts import lookup
from hanoi.accounts import service as accounts
from hanoi.accounts.errors import SignInFailed, SignInThrottled
from hanoi.accounts.session_models import SignInThrottle
from hanoi.db import Database

PASSWORD = "correct horse battery"
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


AUDIT_KEY = b"k" * 32


def _sign_in(
    db: Database,
    username: str,
    password: str,
    *,
    at: datetime,
    addr: str | None = None,
    audit_key: bytes | None = None,
) -> accounts.User:
    with db.session() as session:
        return accounts.authenticate(
            session,
            username=username,
            password=password,
            remote_addr=addr,
            now=at,
            audit_key=audit_key,
        )


def _fail(
    db: Database,
    username: str,
    *,
    at: datetime,
    addr: str | None = None,
    audit_key: bytes | None = None,
) -> None:
    with pytest.raises(SignInFailed):
        _sign_in(db, username, "not the password", at=at, addr=addr, audit_key=audit_key)


def _throttled(db: Database, username: str, password: str, *, at: datetime,
               addr: str | None = None, audit_key: bytes | None = None) -> int:  # fmt: skip
    with pytest.raises(SignInThrottled) as caught:
        _sign_in(db, username, password, at=at, addr=addr, audit_key=audit_key)
    return caught.value.retry_after_seconds


def _throttle_keys(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(SignInThrottle.key)))


def _expected_hmac(name: str) -> str:
    return hmac.new(AUDIT_KEY, name.encode(), hashlib.sha256).hexdigest()[:16]


def test_right_password_signs_in_and_is_audited(seeded_db: Database) -> None:
    user = _sign_in(seeded_db, "alice", PASSWORD, at=T0, addr="192.0.2.7")
    assert user.username == "alice"
    assert user.authority.code == "XA-CA"
    with seeded_db.session() as session:
        (event,) = audit.list_events(session, action="sign_in.success")
    assert (event.actor, event.target_id, event.remote_addr) == ("alice", user.id, "192.0.2.7")
    assert event.at == T0


def test_wrong_password_and_unknown_user_get_the_same_answer(seeded_db: Database) -> None:
    with pytest.raises(SignInFailed) as wrong:
        _sign_in(seeded_db, "alice", "not the password", at=T0)
    with pytest.raises(SignInFailed) as unknown:
        _sign_in(seeded_db, "mallory", "not the password", at=T0)
    assert str(wrong.value) == str(unknown.value)
    assert type(wrong.value) is type(unknown.value)


def test_unknown_user_still_costs_a_hash_verification(
    seeded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        calls.append(password)
        return bool(real_verify(self, hash, password))

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    with pytest.raises(SignInFailed):
        _sign_in(seeded_db, "mallory", "guess number one", at=T0)
    assert calls == ["guess number one"]


def test_failures_are_audited_without_the_password(seeded_db: Database) -> None:
    _fail(seeded_db, "alice", at=T0, addr="198.51.100.9")
    _fail(seeded_db, "nobody", at=T0)
    with seeded_db.session() as session:
        events = audit.list_events(session, action="sign_in.failure")
    assert [(e.actor, e.detail_data) for e in events] == [
        ("(unknown)", {"reason": "unknown_user"}),
        ("alice", {"reason": "bad_password"}),
    ]
    assert events[1].remote_addr == "198.51.100.9"
    assert all("not the password" not in (e.detail or "") for e in events)
    assert all("nobody" not in (e.detail or "") for e in events)


def test_typed_name_of_nobody_is_kept_only_as_a_keyed_hash(seeded_db: Database) -> None:
    # A password typed into the user-name field must not stay in the audit trail forever.
    typed = "hunter2-hunter2"
    _fail(seeded_db, typed, at=T0, audit_key=AUDIT_KEY)
    _fail(seeded_db, typed, at=T0, audit_key=AUDIT_KEY)
    _fail(seeded_db, "alice", at=T0, audit_key=AUDIT_KEY)
    with seeded_db.session() as session:
        events = audit.list_events(session, action="sign_in.failure")
    assert [(e.actor, e.detail_data) for e in events] == [
        ("alice", {"reason": "bad_password"}),
        ("(unknown)", {"reason": "unknown_user", "username_hmac": _expected_hmac(typed)}),
        ("(unknown)", {"reason": "unknown_user", "username_hmac": _expected_hmac(typed)}),
    ]
    assert accounts.username_hmac(AUDIT_KEY, typed) == _expected_hmac(typed)
    assert all(typed not in f"{e.actor} {e.detail}" for e in events)


def test_malformed_username_is_refused_before_any_throttle_row(
    seeded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    monkeypatch.setattr(PasswordHasher, "verify", lambda *args: verified.append("x"))
    typed = "My Secret Passphrase!"
    with pytest.raises(SignInFailed) as caught:
        _sign_in(seeded_db, typed, "whatever", at=T0, audit_key=AUDIT_KEY)
    assert str(caught.value) == str(SignInFailed())
    assert _throttle_keys(seeded_db) == set()
    # With an address, only the address's row exists: the malformed name counts against it.
    _fail(seeded_db, "x" * 300, at=T0, addr="192.0.2.66")
    assert _throttle_keys(seeded_db) == {"addr:192.0.2.66"}
    # The pattern is public, so no hashing effort is spent to hide a malformed name.
    assert verified == []
    with seeded_db.session() as session:
        events = audit.list_events(session, action="sign_in.failure")
    assert [(e.actor, e.detail_data) for e in events] == [
        ("(unknown)", {"reason": "malformed_username"}),
        ("(unknown)", {"reason": "malformed_username", "username_hmac": _expected_hmac(typed)}),
    ]
    assert all(typed not in (e.detail or "") for e in events)


def test_malformed_usernames_count_towards_the_address_lock(seeded_db: Database) -> None:
    for n in range(5):
        _fail(seeded_db, f"Bogus {n}", at=T0, addr="203.0.113.9")
    assert _throttled(seeded_db, "alice", PASSWORD, at=T0, addr="203.0.113.9") == 1
    assert _throttle_keys(seeded_db) == {"addr:203.0.113.9"}


def test_locked_address_adds_no_rows_for_a_flood_of_invented_names(seeded_db: Database) -> None:
    addr = "203.0.113.77"
    for n in range(5):
        _fail(seeded_db, f"INVALID NAME {n}", at=T0, addr=addr)
    assert _throttle_keys(seeded_db) == {f"addr:{addr}"}
    for n in range(300):
        # Half well-formed (they would get a row of their own if the address were free).
        name = f"bogus-user-{n}" if n % 2 else f"Bogus User {n}"
        assert _throttled(seeded_db, name, "guess", at=T0, addr=addr) == 1
    assert _throttle_keys(seeded_db) == {f"addr:{addr}"}
    # Nor audit rows: the first is written, the other 299 are counted into one summary.
    assert audit.flush_refusals(seeded_db, now=T0 + timedelta(seconds=60)) == 1
    with seeded_db.session() as session:
        throttled = audit.list_events(session, action="sign_in.throttled", limit=1000)
        assert [audit.refusals_of(e) for e in throttled] == [299, 1]
        assert [e.actor for e in throttled] == [audit.SYSTEM_ACTOR, "(unknown)"]
        assert {e.remote_addr for e in throttled} == {addr}
        assert all("ogus" not in (e.detail or "") for e in throttled)
        assert audit.verify_chain(session) == []


def test_throttled_attempts_from_two_addresses_are_counted_apart(seeded_db: Database) -> None:
    for addr in ("203.0.113.20", "203.0.113.21"):
        for n in range(5):
            _fail(seeded_db, f"nobody{n}", at=T0, addr=addr)
    for _ in range(10):
        _throttled(seeded_db, "alice", PASSWORD, at=T0, addr="203.0.113.20")
    for _ in range(4):
        _throttled(seeded_db, "alice", PASSWORD, at=T0, addr="203.0.113.21")
    assert audit.flush_refusals(seeded_db, now=T0 + timedelta(minutes=1)) == 2
    with seeded_db.session() as session:
        throttled = audit.list_events(session, action="sign_in.throttled")
    counts: dict[str | None, int] = {}
    for event in throttled:
        counts[event.remote_addr] = counts.get(event.remote_addr, 0) + audit.refusals_of(event)
    assert counts == {"203.0.113.20": 10, "203.0.113.21": 4}
    assert len(throttled) == 4


def test_locked_address_is_checked_before_the_user_row_exists(seeded_db: Database) -> None:
    for n in range(5):
        _fail(seeded_db, f"carol{n}", at=T0, addr="198.51.100.1")
    before = _throttle_keys(seeded_db)
    assert _throttled(seeded_db, "alice", PASSWORD, at=T0, addr="198.51.100.1") == 1
    assert _throttle_keys(seeded_db) == before


def test_typed_user_names_are_not_kept_in_throttle_keys(seeded_db: Database) -> None:
    _fail(seeded_db, "hunter2hunter2", at=T0, addr="192.0.2.77")
    _fail(seeded_db, "alice", at=T0, addr="192.0.2.77")
    keys = _throttle_keys(seeded_db)
    assert len([k for k in keys if k.startswith("user:")]) == 2
    assert not any("hunter2" in k or "alice" in k for k in keys)


def test_disabled_user_cannot_sign_in(seeded_db: Database) -> None:
    with seeded_db.session() as session:
        user = lookup.get_user_by_username(session, "alice")
        assert user is not None
        user.disabled = True
    with pytest.raises(SignInFailed):
        _sign_in(seeded_db, "alice", PASSWORD, at=T0)


def test_five_failures_then_delays_double(seeded_db: Database) -> None:
    for n in range(5):
        _fail(seeded_db, "alice", at=T0 + timedelta(milliseconds=n))
    last = T0 + timedelta(milliseconds=4)
    # Even the right password is refused while the lock lasts.
    assert _throttled(seeded_db, "alice", PASSWORD, at=last + timedelta(milliseconds=500)) == 1

    now = last
    for expected in (2, 4, 8, 16):
        now += timedelta(seconds=expected // 2)
        _fail(seeded_db, "alice", at=now)
        assert _throttled(seeded_db, "alice", PASSWORD, at=now) == expected
        almost = now + timedelta(seconds=expected - 1)
        assert _throttled(seeded_db, "alice", PASSWORD, at=almost) == 1

    user = _sign_in(seeded_db, "alice", PASSWORD, at=now + timedelta(seconds=16))
    assert user.username == "alice"


def test_delay_is_capped_at_fifteen_minutes(seeded_db: Database) -> None:
    now = T0
    for _ in range(30):
        _fail(seeded_db, "alice", at=now)
        now += timedelta(minutes=16)
    _fail(seeded_db, "alice", at=now)
    assert _throttled(seeded_db, "alice", PASSWORD, at=now) == 15 * 60


def test_success_resets_the_count(seeded_db: Database) -> None:
    for n in range(4):
        _fail(seeded_db, "alice", at=T0 + timedelta(seconds=n))
    _sign_in(seeded_db, "alice", PASSWORD, at=T0 + timedelta(seconds=5))
    for n in range(4):
        _fail(seeded_db, "alice", at=T0 + timedelta(seconds=10 + n))
    assert _sign_in(seeded_db, "alice", PASSWORD, at=T0 + timedelta(seconds=20))


def test_unknown_usernames_are_throttled_like_real_ones(seeded_db: Database) -> None:
    for _ in range(5):
        _fail(seeded_db, "mallory", at=T0, audit_key=AUDIT_KEY)
    assert _throttled(seeded_db, "mallory", "anything at all", at=T0, audit_key=AUDIT_KEY) == 1
    with seeded_db.session() as session:
        (event,) = audit.list_events(session, action="sign_in.throttled")
    assert event.actor == "(unknown)"
    assert event.detail_data == {"retry_after": 1, "username_hmac": _expected_hmac("mallory")}


def test_remote_address_is_throttled_across_usernames(seeded_db: Database) -> None:
    for n, name in enumerate(["carol", "dave", "erin", "frank", "grace"]):
        _fail(seeded_db, name, at=T0 + timedelta(milliseconds=n), addr="203.0.113.5")
    last = T0 + timedelta(milliseconds=4)
    assert _throttled(seeded_db, "alice", PASSWORD, at=last, addr="203.0.113.5") == 1
    # The same user from elsewhere is not locked out by the attacker's address.
    assert _sign_in(seeded_db, "alice", PASSWORD, at=last, addr="192.0.2.50")


def test_throttling_survives_a_restart(seeded_db: Database) -> None:
    for _ in range(5):
        _fail(seeded_db, "alice", at=T0)
    restarted = Database(seeded_db.url)
    try:
        assert _throttled(restarted, "alice", PASSWORD, at=T0) == 1
    finally:
        restarted.dispose()


def test_throttled_attempts_are_audited(seeded_db: Database) -> None:
    for _ in range(5):
        _fail(seeded_db, "alice", at=T0, addr="192.0.2.1")
    _throttled(seeded_db, "alice", PASSWORD, at=T0, addr="192.0.2.1")
    with seeded_db.session() as session:
        (event,) = audit.list_events(session, action="sign_in.throttled")
        assert event.actor == "alice"
        assert event.detail_data == {"retry_after": 1}
        assert len(audit.list_events(session, action="sign_in.failure")) == 5
        assert audit.verify_chain(session) == []
