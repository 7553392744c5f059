"""Witness cosignatures of checkpoints (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``).

A cosignature is an ordinary signed-note signature line (:mod:`hanoi.crypto.note`) whose
key is of signature type ``0x04``. What it signs is not the note text itself but::

    cosignature/v1\\n
    time <POSIX seconds, decimal, no leading zero>\\n
    <the checkpoint text, final newline included>

and the bytes after the 4-byte key hash are ``timestamp (8 bytes, big-endian) || Ed25519
signature (64 bytes)``. The key hash is SHA-256(name || 0x0A || 0x04 || public key)[:4], so
a cosigner key can never be taken for a plain (``0x01``) note key of the same name.

:class:`CosignatureVerifier` and :class:`CosignatureSigner` fit the
:class:`~hanoi.crypto.note.NoteVerifier` and :class:`~hanoi.crypto.note.NoteSigner`
protocols, so :func:`~hanoi.crypto.note.open_note` checks cosignatures next to the log's
own signature and :func:`~hanoi.crypto.note.sign_note` can write them.

Key strings follow the signed-note shape with type byte ``0x04``:

* verifier key ``<name>+<hash>+base64(0x04 || public key)`` (the spec's vkey form);
* signer key ``PRIVATE+KEY+<name>+<hash>+base64(0x04 || 32-byte seed)``, a Hanoi convention
  mirroring the note signer keys (the spec defines no private key form).

Parsing is strict: canonical padded base64, exact lengths, the stated key hash must be the
one the key gives, timestamps at most 2^63 - 1.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoi.crypto.canonical import b64, b64decode_canonical
from hanoi.crypto.note import (
    ALG_ED25519,
    MalformedKey,
    NamedPrivateKey,
    NamedPublicKey,
    Note,
    NoteError,
    Signature,
    Verifier,
    check_key_name,
    key_hash,
    parse_verifier_key,
)
from hanoi.errors import Malformed

#: The signature type byte of Ed25519 ``cosignature/v1`` keys.
ALG_COSIGNATURE_V1 = 0x04
#: Timestamps are u64 on the wire but must not exceed 2^63 - 1.
MAX_TIMESTAMP = 2**63 - 1

COSIGNATURE_HEADER = b"cosignature/v1\n"
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_KEY_BYTES = 32
_ED25519_SIGNATURE_BYTES = 64
_TIMESTAMP_BYTES = 8
COSIGNATURE_BYTES = _TIMESTAMP_BYTES + _ED25519_SIGNATURE_BYTES
_MAX_KEY_CHARS = 1024
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


CosignatureCheck = Literal["timestamp", "length"]


class CosignatureError(NoteError, Malformed):
    """A cosignature refused for its form: a timestamp that is negative, not an integer or
    beyond 2^63 - 1 (``check`` is ``"timestamp"``), or bytes that are not an 8-byte
    timestamp and a 64-byte signature (``"length"``)."""

    def __init__(self, message: str, *, check: CosignatureCheck) -> None:
        super().__init__(message)
        self.check = check


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """What an Ed25519 cosigner signs for checkpoint ``text`` at ``timestamp``."""
    _check_timestamp(timestamp)
    return COSIGNATURE_HEADER + b"time " + str(timestamp).encode("ascii") + b"\n" + text


def split_cosignature(signature: bytes) -> tuple[int, bytes]:
    """(timestamp, Ed25519 signature) of the bytes after a cosignature line's key hash."""
    if len(signature) != COSIGNATURE_BYTES:
        raise CosignatureError(
            f"a cosignature holds {COSIGNATURE_BYTES} bytes, this one {len(signature)}",
            check="length",
        )
    timestamp = int.from_bytes(signature[:_TIMESTAMP_BYTES], "big")
    if timestamp > MAX_TIMESTAMP:
        raise CosignatureError(
            f"cosignature timestamp {timestamp} is beyond 2^63 - 1", check="timestamp"
        )
    return timestamp, signature[_TIMESTAMP_BYTES:]


def _encoded_public(key: Ed25519PublicKey) -> bytes:
    return bytes([ALG_COSIGNATURE_V1]) + key.public_bytes_raw()


@dataclass(frozen=True)
class CosignatureVerifier(NamedPublicKey):
    """A trusted witness (cosigner) public key under a name; a :class:`NoteVerifier`."""

    ALGORITHM: ClassVar[int] = ALG_COSIGNATURE_V1
    ROLE: ClassVar[str] = "cosignature verifier"
    KEY: ClassVar[str] = "cosigner key"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp || Ed25519 signature) cosigns ``message``, the
        checkpoint text. Malformed bytes or a timestamp beyond 2^63 - 1 do not verify."""
        try:
            timestamp, raw = split_cosignature(signature)
        except CosignatureError:
            return False
        try:
            self.key.verify(raw, cosigned_message(message, timestamp))
        except InvalidSignature:
            return False
        return True

    def key_string(self) -> str:
        return cosigner_verifier_key_string(self)


def _system_clock() -> int:
    return int(time.time())


@dataclass(frozen=True)
class CosignatureSigner(NamedPrivateKey):
    """A witness's private key under a name; a :class:`NoteSigner` whose :meth:`sign`
    stamps the time from ``clock`` (POSIX seconds; the system clock by default)."""

    ALGORITHM: ClassVar[int] = ALG_COSIGNATURE_V1
    ROLE: ClassVar[str] = "cosignature signer"
    KEY: ClassVar[str] = "cosigner key"

    clock: Callable[[], int] = field(default=_system_clock, repr=False, compare=False)

    @classmethod
    def for_key(
        cls, name: str, key: Ed25519PrivateKey, clock: Callable[[], int] = _system_clock
    ) -> CosignatureSigner:
        check_key_name(name)
        return cls(name, key_hash(name, _encoded_public(key.public_key())), key, clock)

    def sign(self, message: bytes) -> bytes:
        """Cosign checkpoint text ``message`` at the clock's time."""
        return self.sign_at(message, self.clock())

    def sign_at(self, message: bytes, timestamp: int) -> bytes:
        """Cosign checkpoint text ``message`` at ``timestamp``: timestamp || signature."""
        signature = self.key.sign(cosigned_message(message, timestamp))
        return timestamp.to_bytes(_TIMESTAMP_BYTES, "big") + signature

    def signature_line(self, text: str, timestamp: int) -> Signature:
        """The cosignature of checkpoint ``text`` at ``timestamp``, as a note signature."""
        return Signature(self.name, self.key_hash, self.sign_at(text.encode("utf-8"), timestamp))

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.key_hash, self.key.public_key())

    def key_string(self) -> str:
        return cosigner_signer_key_string(self)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature read back from a note: who, and when they cosigned."""

    name: str
    key_hash: int
    timestamp: int


def cosignatures_of(note: Note, cosigners: Iterable[CosignatureVerifier]) -> list[Cosignature]:
    """The cosignatures among ``note``'s verified signatures that are by ``cosigners``, in
    note order. The note must have been opened with those cosigners among its verifiers
    (only then are their signatures in ``note.verified``)."""
    wanted = {(c.name, c.key_hash) for c in cosigners}
    found: list[Cosignature] = []
    for signature in note.verified:
        if (signature.name, signature.key_hash) in wanted:
            timestamp, _ = split_cosignature(signature.signature)
            found.append(Cosignature(signature.name, signature.key_hash, timestamp))
    return found


# --- key strings ------------------------------------------------------------------------------


def cosigner_verifier_key_string(verifier: CosignatureVerifier) -> str:
    """``name+hash+base64(0x04 || public key)``."""
    encoded = b64(_encoded_public(verifier.key))
    return f"{verifier.name}+{verifier.key_hash:08x}+{encoded}"


def cosigner_signer_key_string(signer: CosignatureSigner) -> str:
    """``PRIVATE+KEY+name+hash+base64(0x04 || seed)``: secret."""
    seed = bytes([ALG_COSIGNATURE_V1]) + signer.key.private_bytes_raw()
    return f"{_PRIVATE_PREFIX}{signer.name}+{signer.key_hash:08x}+{b64(seed)}"


def parse_cosigner_verifier_key(text: str) -> CosignatureVerifier:
    """A cosigner verifier from ``name+hash+base64(0x04 || key)``. Raises
    :class:`~hanoi.crypto.note.MalformedKey`, whose ``check`` names the fault."""
    name, stated, _, raw = _split_key(text, "cosigner verifier key")
    key = Ed25519PublicKey.from_public_bytes(raw)
    _check_stated_hash(name, stated, _encoded_public(key))
    return CosignatureVerifier(name, stated, key)


def parse_cosigner_signer_key(
    text: str, clock: Callable[[], int] = _system_clock
) -> CosignatureSigner:
    """A cosigner signer from ``PRIVATE+KEY+name+hash+base64(0x04 || seed)``."""
    if not isinstance(text, str) or not text.startswith(_PRIVATE_PREFIX):
        raise MalformedKey("a cosigner signer key starts with PRIVATE+KEY+")
    name, stated, _, seed = _split_key(text[len(_PRIVATE_PREFIX) :], "cosigner signer key")
    key = Ed25519PrivateKey.from_private_bytes(seed)
    _check_stated_hash(name, stated, _encoded_public(key.public_key()))
    return CosignatureSigner(name, stated, key, clock)


def parse_any_verifier_key(text: str) -> Verifier | CosignatureVerifier:
    """A plain note verifier (type 0x01) or a cosigner verifier (type 0x04), as the key
    string says; other types raise :class:`~hanoi.crypto.note.MalformedKey`
    (``check="algorithm"``)."""
    _, _, algorithm, _ = _split_key(text, "verifier key", allowed=(ALG_ED25519, ALG_COSIGNATURE_V1))
    if algorithm == ALG_ED25519:
        return parse_verifier_key(text)
    return parse_cosigner_verifier_key(text)


def _split_key(
    text: str, what: str, allowed: tuple[int, ...] = (ALG_COSIGNATURE_V1,)
) -> tuple[str, int, int, bytes]:
    """(name, stated hash, type byte, 32 key bytes) of ``name+hash+base64(type || key)``."""
    if not isinstance(text, str):
        raise MalformedKey(f"a {what} must be text")
    if len(text) > _MAX_KEY_CHARS:
        raise MalformedKey(f"a {what} is longer than {_MAX_KEY_CHARS} characters")
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise MalformedKey(f"a {what} reads name+hash+base64")
    name, hash_hex, key64 = parts
    check_key_name(name)
    if not _HEX8.fullmatch(hash_hex):
        raise MalformedKey(f"the key hash of a {what} is 8 hexadecimal digits")
    raw = b64decode_canonical(key64)
    if not raw:
        raise MalformedKey(f"the key of a {what} is not canonical base64")
    if raw[0] not in allowed:
        names = " or ".join(f"{a:#04x}" for a in allowed)
        raise MalformedKey(f"{what} type {raw[0]:#04x} is not {names}", check="algorithm")
    if len(raw) != 1 + _KEY_BYTES:
        raise MalformedKey(f"an Ed25519 {what} holds {_KEY_BYTES} bytes")
    return name, int(hash_hex, 16), raw[0], raw[1:]


def _check_stated_hash(name: str, stated: int, encoded_public: bytes) -> None:
    actual = key_hash(name, encoded_public)
    if actual != stated:
        raise MalformedKey(
            f"cosigner key {name}: stated hash {stated:08x}, but the key gives {actual:08x}",
            check="key-hash",
        )


def _check_timestamp(timestamp: int) -> None:
    if (
        not isinstance(timestamp, int)
        or isinstance(timestamp, bool)
        or not 0 <= timestamp <= MAX_TIMESTAMP
    ):
        raise CosignatureError(
            f"timestamp {timestamp!r} is not an integer from 0 to 2^63 - 1", check="timestamp"
        )


__all__ = [
    "ALG_COSIGNATURE_V1",
    "COSIGNATURE_BYTES",
    "COSIGNATURE_HEADER",
    "MAX_TIMESTAMP",
    "Cosignature",
    "CosignatureError",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosignatures_of",
    "cosigned_message",
    "cosigner_signer_key_string",
    "cosigner_verifier_key_string",
    "parse_any_verifier_key",
    "parse_cosigner_signer_key",
    "parse_cosigner_verifier_key",
    "split_cosignature",
]
