"""Authorities and users: add them, and sign users in safely.

Sign-in is where an attacker meets the node, so :func:`authenticate` answers every wrong
guess the same way, spends the same hashing effort on unknown users, throttles repeated
failures per username and per remote address (state kept in the database, so a restart does
not reset it) and audits every attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts import errors
from hanoi.accounts.lookup import get_authority_by_code, get_user_by_username
from hanoi.accounts.models import Authority, AuthorityKind, Role, User
from hanoi.accounts.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    verify_password,
)
from hanoi.accounts.session_models import SignInThrottle
from hanoi.config import DEFAULT_AUDIT_REFUSAL_INTERVAL
from hanoi.db.base import utcnow
from hanoi.db.database import upsert_insert
from hanoi.errors import Conflict, InvalidInput, NotFound
from hanoi.i18n.languages import check_language

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{2,64}")
STATE_PATTERN = re.compile(r"[A-Z]{2}")
AUTHORITY_CODE_PATTERN = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,12}){1,2}")
MIN_PASSWORD_LENGTH = 12

FREE_FAILURES = 5
MAX_DELAY_SECONDS = 15 * 60
TOTP_ISSUER = "Hanoi"


# Authorities


def create_authority(
    session: Session,
    *,
    state: str,
    code: str,
    name: str,
    kind: AuthorityKind | str,
    actor: str = audit.SYSTEM_ACTOR,
) -> Authority:
    """Register one of this node's authorities, e.g. ``XA-CA``, the central authority of XA."""
    if not STATE_PATTERN.fullmatch(state):
        raise InvalidInput(f"state must be two capital letters, not {state!r}")
    if not AUTHORITY_CODE_PATTERN.fullmatch(code) or not code.startswith(state + "-"):
        raise InvalidInput(f"authority code must look like {state}-CA, not {code!r}")
    if not name.strip():
        raise InvalidInput("authority name must not be empty")
    try:
        kind = AuthorityKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in AuthorityKind)
        raise InvalidInput(f"unknown authority kind {kind!r}; expected: {known}") from None
    if get_authority_by_code(session, code) is not None:
        raise Conflict(f"an authority with code {code!r} already exists")
    authority = Authority(state=state, code=code, name=name.strip(), kind=kind)
    session.add(authority)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="authority.add",
        target_type="authority",
        target_id=authority.id,
        detail={"code": code, "kind": kind.value},
    )
    return authority


# Users


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    authority_code: str,
    display_name: str | None = None,
    actor: str = audit.SYSTEM_ACTOR,
) -> User:
    """Create a user at one of the node's authorities; the password is stored as argon2id."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput(
            f"invalid username {username!r}: use 2 to 64 of a-z, 0-9, '.', '_' or '-'"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    try:
        role = Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {str(role)!r}; expected one of: {known}") from None
    authority = get_authority_by_code(session, authority_code)
    if authority is None:
        raise NotFound(f"no authority with code {authority_code!r}")
    if get_user_by_username(session, username) is not None:
        raise Conflict(f"a user named {username!r} already exists")
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        authority=authority,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.add",
        target_type="user",
        target_id=user.id,
        detail={"username": username, "role": role.value, "authority": authority.code},
    )
    return user


def enable_totp(session: Session, username: str, *, actor: str | None = None) -> tuple[str, str]:
    """Give the user a fresh TOTP secret; from now on sign-in needs its code.

    Returns the base32 secret and the ``otpauth://`` URI to show as a QR code. The secret is
    shown once here and never written to the audit trail.
    """
    user = get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step = None
    audit.record(
        session,
        actor=actor or username,
        action="user.totp_enable",
        target_type="user",
        target_id=user.id,
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)
    return secret, str(uri)


def set_language(
    session: Session, username: str, language: str | None, *, actor: str | None = None
) -> None:
    """Set the language of ``username``'s pages: one of the six UN languages, or None to
    follow the browser (then the node's default). Audited, old and new value."""
    if language is not None:
        check_language(language)
    user = get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    if user.language == language:
        return
    audit.record(
        session,
        actor=actor or username,
        action="user.language",
        target_type="user",
        target_id=user.id,
        detail={"from": user.language, "to": language},
    )
    user.language = language


# Signing in

# The audit actor of a refused sign-in whose user name belongs to nobody: what was typed may
# be a password typed into the wrong field, and the audit trail keeps everything forever.
UNKNOWN_ACTOR = "(unknown)"
USERNAME_HMAC_CHARS = 16


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    totp_code: str | None = None,
    remote_addr: str | None = None,
    now: datetime | None = None,
    audit_key: bytes | None = None,
    refusal_interval: timedelta = DEFAULT_AUDIT_REFUSAL_INTERVAL,
) -> User:
    """The user these credentials belong to, or a sign-in refusal: :class:`~errors.SignInFailed`,
    :class:`~errors.TotpRequired` or :class:`~errors.SignInThrottled`.

    The remote address's throttle is checked first: while it is locked nothing else happens,
    so a flood of invented user names from one address creates no rows beyond the address's
    own. A user name that does not match :data:`USERNAME_PATTERN` is refused as
    :class:`~errors.SignInFailed` before any per-user state exists for it.

    Refusals for a user name nobody has are audited with the actor ``(unknown)``, never the
    typed text; when ``audit_key`` (a node secret) is given, the detail carries
    ``username_hmac``, the first 16 hex characters of HMAC-SHA256(audit_key, typed name), so
    repeated attempts on one name can be told apart without keeping the name.

    Attempts refused while throttled are audited through :func:`hanoi.audit.record_refusal`:
    from one address, one row per ``refusal_interval`` and per throttle (``address`` or
    ``user``), the others counted into a summary row.

    Refusals commit the session before raising: a failed attempt must leave its audit event
    and throttling count behind even though the caller's ``with db.session()`` rolls back.
    """
    now = now or utcnow()
    refusal = _Refusal(session, username, remote_addr, now, audit_key, refusal_interval)
    address = None
    if remote_addr:
        (address,) = _lock_throttles(session, [f"addr:{remote_addr[:64]}"])
        wait = _retry_after(address, now)
        if wait > 0:
            refusal.throttled("address", retry_after=wait)
            raise errors.SignInThrottled(wait)

    if not USERNAME_PATTERN.fullmatch(username):
        # No hashing effort: the pattern is public, so a quick answer tells nothing.
        if address is not None:
            _count_failure(address, now)
        refusal.refuse("sign_in.failure", reason="malformed_username")
        raise errors.SignInFailed()

    # Keyed by a hash: a password typed into the user-name field must not sit in a table.
    user_key = hmac.new(audit_key or b"", username.encode(), hashlib.sha256).hexdigest()
    (per_user,) = _lock_throttles(session, [f"user:{user_key}"])
    throttles = [per_user] if address is None else [address, per_user]
    wait = _retry_after(per_user, now)
    if wait > 0:
        refusal.throttled("user", retry_after=wait)
        raise errors.SignInThrottled(wait)

    user = get_user_by_username(session, username)
    reason: str | None = None
    if user is None:
        burn_verification(password)
        reason = "unknown_user"
    elif not verify_password(user.password_hash, password):
        reason = "bad_password"
    elif user.disabled:
        reason = "disabled"
    elif user.totp_secret is not None:
        if not totp_code:
            refusal.refuse("sign_in.totp_required")
            raise errors.TotpRequired()
        step = _accepted_totp_step(user, totp_code, now)
        if step is None:
            reason = "bad_totp"
        else:
            user.totp_last_step = step

    if user is None or reason is not None:
        for throttle in throttles:
            _count_failure(throttle, now)
        refusal.refuse("sign_in.failure", reason=reason)
        raise errors.SignInFailed()

    for throttle in throttles:
        throttle.failures, throttle.locked_until, throttle.updated_at = 0, None, now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(
        session,
        actor=username,
        action="sign_in.success",
        target_type="user",
        target_id=user.id,
        remote_addr=remote_addr,
        at=now,
    )
    return user


def username_hmac(audit_key: bytes, username: str) -> str:
    """The first 16 hex characters of HMAC-SHA256(``audit_key``, ``username``)."""
    digest = hmac.new(audit_key, username.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return digest.hexdigest()[:USERNAME_HMAC_CHARS]


class _Refusal:
    """Audits a refused attempt, naming the actor only when the user name is a real user's."""

    def __init__(
        self,
        session: Session,
        username: str,
        remote_addr: str | None,
        now: datetime,
        audit_key: bytes | None,
        interval: timedelta,
    ) -> None:
        self.session = session
        self.username = username
        self.remote_addr = remote_addr
        self.now = now
        self.audit_key = audit_key
        self.interval = interval

    def refuse(self, action: str, **detail: str | int | None) -> None:
        actor, details = self._who(detail)
        audit.record(
            self.session,
            actor=actor,
            action=action,
            detail=details,
            remote_addr=self.remote_addr,
            at=self.now,
        )
        self.session.commit()

    def throttled(self, lock: str, **detail: str | int | None) -> None:
        """A refusal while ``lock`` (``address`` or ``user``) is locked: what a flood of
        guesses meets, so it is counted per address rather than audited one by one."""
        actor, details = self._who(detail)
        audit.record_refusal(
            self.session,
            action="sign_in.throttled",
            reason=lock,
            source=self.remote_addr,
            actor=actor,
            detail=details,
            at=self.now,
            interval=self.interval,
        )
        self.session.commit()

    def _who(self, detail: dict[str, str | int | None]) -> tuple[str, dict[str, str | int] | None]:
        known = bool(USERNAME_PATTERN.fullmatch(self.username)) and (
            get_user_by_username(self.session, self.username) is not None
        )
        actor = self.username if known else UNKNOWN_ACTOR
        if not known and self.audit_key is not None:
            detail["username_hmac"] = username_hmac(self.audit_key, self.username)
        return actor, {k: v for k, v in detail.items() if v is not None} or None


def _accepted_totp_step(user: User, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to, within one step either side (``valid_window=1``).

    Steps at or before the last accepted one are refused, so an observed code cannot be
    replayed while it is still valid.
    """
    assert user.totp_secret is not None
    totp = pyotp.TOTP(user.totp_secret)
    code = code.replace(" ", "").strip()
    current = int(totp.timecode(now))
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(str(totp.generate_otp(step)), code):
            return step
    return None


# Throttling: after FREE_FAILURES consecutive failures, each further failure locks the key
# (``addr:<ip>`` or ``user:<name>``) for 1 s, 2 s, 4 s ... up to MAX_DELAY_SECONDS. Throttled
# attempts do not extend the lock. The address is always locked before the user name, so
# concurrent attempts take their row locks in one order and cannot deadlock.


def _lock_throttles(session: Session, keys: list[str]) -> list[SignInThrottle]:
    """Make sure a row exists per key, then lock them, so concurrent attempts count exactly."""
    insert = upsert_insert(session)
    for key in keys:
        session.execute(
            insert(SignInThrottle)
            .values(key=key, failures=0, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
        )
    query = select(SignInThrottle).where(SignInThrottle.key.in_(keys)).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _retry_after(throttle: SignInThrottle, now: datetime) -> int:
    if throttle.locked_until is None or throttle.locked_until <= now:
        return 0
    return math.ceil((throttle.locked_until - now).total_seconds())


def _count_failure(throttle: SignInThrottle, now: datetime) -> None:
    throttle.failures += 1
    throttle.updated_at = now
    beyond = throttle.failures - FREE_FAILURES
    if beyond >= 0:
        delay = min(2 ** min(beyond, 20), MAX_DELAY_SECONDS)
        throttle.locked_until = now + timedelta(seconds=delay)
