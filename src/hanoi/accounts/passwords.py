"""Argon2id password hashing with one switch for test speed.

Production uses argon2-cffi's defaults (RFC 9106 low-memory profile). Setting the
environment variable ``HANOI_ARGON2_PROFILE=test`` selects the cheapest parameters so test
suites can create many users quickly; it must never be set on a real node, because hashes
made with it are easy to brute-force. Such hashes are upgraded on the next successful sign-in
under production parameters (:func:`needs_rehash`).
"""

from __future__ import annotations

import os
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PROFILE_ENV = "HANOI_ARGON2_PROFILE"
_PROFILES = ("", "production", "test")


@cache
def _hasher(profile: str) -> PasswordHasher:
    if profile == "test":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def hasher() -> PasswordHasher:
    """The hasher for the profile named in the environment; unknown names are refused."""
    profile = os.environ.get(PROFILE_ENV, "")
    if profile not in _PROFILES:
        raise RuntimeError(f"{PROFILE_ENV} must be unset, 'production' or 'test', not {profile!r}")
    return _hasher(profile)


def hash_password(password: str) -> str:
    return str(hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a corrupt stored hash counts as a mismatch."""
    try:
        return bool(hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return bool(hasher().check_needs_rehash(password_hash))


@cache
def _dummy_hash(profile: str) -> str:
    return str(_hasher(profile).hash("hanoi-dummy-password-for-unknown-users"))


def burn_verification(password: str) -> None:
    """Spend the time of a real verification, so unknown usernames are not told apart."""
    verify_password(_dummy_hash(os.environ.get(PROFILE_ENV, "")), password)
