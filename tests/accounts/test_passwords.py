"""Argon2id everywhere; the cheap test profile is explicit and upgraded away in production."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from hanoi.accounts import lookup, passwords
from hanoi.accounts import service as accounts
from hanoi.db import Database

PASSWORD = "correct horse battery"


def test_hashes_are_argon2id_and_verify() -> None:
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "!")
    assert not passwords.verify_password("not-a-hash", PASSWORD)


def test_production_profile_uses_library_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(passwords.PROFILE_ENV)
    defaults = PasswordHasher()
    assert passwords.hasher().memory_cost == defaults.memory_cost
    assert passwords.hasher().time_cost == defaults.time_cost


def test_test_profile_is_cheaper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(passwords.PROFILE_ENV, "test")
    assert passwords.hasher().memory_cost < PasswordHasher().memory_cost


def test_unknown_profile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(passwords.PROFILE_ENV, "fast")
    with pytest.raises(RuntimeError, match="HANOI_ARGON2_PROFILE"):
        passwords.hash_password(PASSWORD)


def test_test_profile_hash_is_upgraded_at_production_sign_in(
    seeded_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(passwords.PROFILE_ENV)
    with seeded_db.session() as session:
        accounts.authenticate(session, username="alice", password=PASSWORD, now=datetime.now(UTC))
    with seeded_db.session() as session:
        alice = lookup.get_user_by_username(session, "alice")
        assert alice is not None
        assert not passwords.needs_rehash(alice.password_hash)
        assert f"m={PasswordHasher().memory_cost}" in alice.password_hash
