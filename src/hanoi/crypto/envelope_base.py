"""What the message envelope shares with the other signed objects, without a JOSE library:
the errors each check raises, the parties, the signer keys at signing and at receipt, and
the check of a JWS protected header.

:mod:`hanoi.crypto.envelope` seals and opens messages with joserfc and exports these names
too; a module that only needs them (a timeline naming a party, the evidence package refusing
a signature, its manifest's detached JWS made with ``cryptography`` alone, the directory's
signer keys) imports this module instead, and so does not load joserfc (some 0.03 s of
imports, cryptography's X.509 with it) in a command such as `hanoi evidence seal`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hanoi.crypto.canonical import parse_json
from hanoi.crypto.errors import CryptoError
from hanoi.crypto.jwk import b64url_decode
from hanoi.crypto.keys import KeyRecord
from hanoi.errors import (
    Conflict,
    Malformed,
    Misdirected,
    NotAuthentic,
    TooLarge,
    VerificationFailed,
)

JWS_ALG = "Ed25519"

_JWS_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_STATE = re.compile(r"[A-Z]{2}")
_AUTHORITY = re.compile(r"[A-Z]{2}-[A-Z0-9-]{1,30}")
_MAX_KID_CHARS = 100


# --- errors -------------------------------------------------------------------------------


class EnvelopeError(CryptoError):
    """A message or receipt was refused; the message names the check that failed. The
    audit log records the class's name (``exchange/inbox.py``)."""


class OversizedMessage(EnvelopeError, TooLarge):
    """The token is larger than allowed; refused before any parsing."""

    title = "Message too large"


MessageCheck = Literal["shape", "algorithm", "recipient-key", "decryption"]


class MalformedMessage(EnvelopeError, Malformed):
    """The token, a header or the claims do not have the expected shape (``check`` is
    ``"shape"``), a header names another algorithm than the format allows
    (``"algorithm"``), the JWE is addressed to an encryption key this node does not hold
    (``"recipient-key"``), or it does not decrypt: tampered, truncated or made for another
    key (``"decryption"``)."""

    title = "Malformed message"

    def __init__(self, message: str, *, check: MessageCheck = "shape") -> None:
        super().__init__(message)
        self.check = check


class UnknownSignerKey(EnvelopeError, NotAuthentic):
    """No verification key with the signer's kid is valid for the sender at signing time."""

    title = "Unknown signer"


class SignerKeyEnded(EnvelopeError, NotAuthentic):
    """The signer's key was valid at the time the signed object claims, but is revoked, or
    its grace period has ended, by the time it arrives: the claimed time cannot be trusted."""

    title = "Signer key no longer valid"


class BadSignature(EnvelopeError, NotAuthentic):
    """The Ed25519 signature does not verify."""

    title = "Bad signature"


class WrongRecipient(EnvelopeError, Misdirected):
    """The claims name another State or authority than the expected one."""

    title = "Wrong recipient"


class ExpiredMessage(EnvelopeError, VerificationFailed):
    """The message's expiry has passed (beyond the allowed clock skew)."""

    title = "Message expired"


class IssuedInFuture(EnvelopeError, VerificationFailed):
    """The message claims to be issued later than now plus the allowed clock skew."""

    title = "Issued in the future"


class DigestMismatch(EnvelopeError, VerificationFailed):
    """A SHA-256 digest does not match the data it describes."""

    title = "Payload digest mismatch"


class ReplayedMessage(EnvelopeError, Conflict):
    """A message with this id has been seen before."""

    title = "Replayed message"


# --- parties and signer keys ---------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A State (ISO-style two-letter code) and one of its authorities (e.g. ``XA-CA``)."""

    state: str
    authority: str

    def __post_init__(self) -> None:
        if not isinstance(self.state, str) or not _STATE.fullmatch(self.state):
            raise ValueError("a State code is two capital letters, like 'XA'")
        if not isinstance(self.authority, str) or not _AUTHORITY.fullmatch(self.authority):
            raise ValueError("an authority code looks like 'XA-CA'")
        if not self.authority.startswith(f"{self.state}-"):
            raise ValueError(f"authority codes of {self.state} start with '{self.state}-'")

    def to_json(self) -> dict[str, str]:
        return {"state": self.state, "authority": self.authority}

    @classmethod
    def from_json(cls, data: object) -> Party:
        if not isinstance(data, dict) or set(data) != {"state", "authority"}:
            raise ValueError("a party is an object with exactly 'state' and 'authority'")
        return cls(state=data["state"], authority=data["authority"])

    def matches(self, expected: Party | str) -> bool:
        """Whether this is ``expected``: the same party, or any authority of that State."""
        if isinstance(expected, Party):
            return self == expected
        return self.state == expected


SignerKeys = Callable[[str, str, datetime], Sequence[Ed25519PublicKey]]
"""``(state, kid, signed_at) -> keys``: the Ed25519 keys with that kid that the State's
node may sign with at that time; empty if none."""


def keyring_lookup(records: Mapping[str, Iterable[KeyRecord]]) -> SignerKeys:
    """A :data:`SignerKeys` over key records grouped by State code: signing keys only,
    and only those that verify at the signing time (see :meth:`KeyRecord.verifies_at`)."""
    by_state = {state: tuple(keys) for state, keys in records.items()}

    def lookup(state: str, kid: str, signed_at: datetime) -> list[Ed25519PublicKey]:
        found = []
        for record in by_state.get(state, ()):
            if record.kind == "signing" and record.kid == kid and record.verifies_at(signed_at):
                key = record.public_key().public_key
                if isinstance(key, Ed25519PublicKey):
                    found.append(key)
        return found

    return lookup


def keys_valid_at_receipt(
    then: Sequence[Ed25519PublicKey],
    at_receipt: Callable[[], Sequence[Ed25519PublicKey]],
    what: str = "message",
) -> list[Ed25519PublicKey]:
    """The keys of ``then`` (valid at the claimed signing time) that ``at_receipt()`` (the
    same lookup at the receipt time less the allowed skew, never earlier than the claimed
    time) still finds; :class:`SignerKeyEnded` if there were some and none is left.

    A key is valid over one stretch of time (from its creation to its revocation or the end
    of its grace), so a key valid at both times was valid throughout: the claimed time
    cannot move a signature back before a revocation the receiver already knows of.
    """
    if not then:
        return []  # the signer key check itself refuses (UnknownSignerKey)
    still = {_raw(key) for key in at_receipt()}
    kept = [key for key in then if _raw(key) in still]
    if not kept:
        raise SignerKeyEnded(
            f"signer key at receipt: the key was revoked or its grace period ended before "
            f"this {what} arrived"
        )
    return kept


def receipt_time(signed_at: datetime, now: datetime, skew: timedelta) -> datetime:
    """When to judge a signer key at receipt: ``now`` less the allowed clock skew, but never
    before the claimed signing time (a key new at that time is valid from then on)."""
    return max(signed_at, now - skew)


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- JWS headers --------------------------------------------------------------------------


def jws_header_kid(segment: bytes, typ: str) -> str:
    """The signer kid of a JWS protected header holding exactly ``alg`` Ed25519, ``kid`` and
    ``typ`` (the expected one); anything else is refused."""
    header = json_segment(segment, "JWS header")
    if header.get("alg") != JWS_ALG:
        raise MalformedMessage(
            f"JWS header: only {JWS_ALG} signatures are accepted", check="algorithm"
        )
    if set(header) != _JWS_HEADER_KEYS or header.get("typ") != typ:
        raise MalformedMessage(f"JWS header: exactly alg, kid and typ {typ}")
    kid = header["kid"]
    try:
        check_kid(kid)
    except ValueError:
        raise MalformedMessage("JWS header: the kid is not valid") from None
    return str(kid)


def json_segment(segment: bytes, what: str) -> dict[str, Any]:
    """The JSON object a base64url segment of a JOSE token holds; :class:`MalformedMessage`
    for anything else."""
    try:
        value = parse_json(b64url_segment(segment.decode("ascii")), unique_keys=True)
    except (ValueError, UnicodeDecodeError):
        raise MalformedMessage(f"{what}: not base64url JSON") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{what}: not a JSON object")
    return value


def b64url_segment(text: object) -> bytes:
    """The bytes of unpadded base64url ``text``; :class:`MalformedMessage` for anything else."""
    if not isinstance(text, str):
        raise MalformedMessage("encoding: not base64url")
    try:
        return b64url_decode(text)
    except ValueError:
        raise MalformedMessage("encoding: not base64url") from None


def check_kid(kid: object) -> None:
    """``ValueError`` unless ``kid`` is printable text of 1 to 100 characters."""
    if not isinstance(kid, str) or not 0 < len(kid) <= _MAX_KID_CHARS or not kid.isprintable():
        raise ValueError("a kid is printable text of at most 100 characters")
