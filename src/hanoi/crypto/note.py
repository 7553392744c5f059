"""Signed notes (c2sp.org/signed-note) with Ed25519 keys.

A signed note is UTF-8 text ending in a newline, then one blank line, then one line per
signature::

    <text, which may itself hold blank lines>\\n
    \\n
    — <key name> base64(key hash, 4 bytes big-endian || Ed25519 signature over the text)\\n

A key is known by its *name* (non-empty, no Unicode white space, no ``+``) and its *key
hash*: the first four bytes, read big-endian, of SHA-256(name || 0x0A || 0x01 || 32-byte
public key), 0x01 being the Ed25519 signature type. Keys are written as strings:

* verifier key ``<name>+<hash as 8 hex digits>+base64(0x01 || public key)``, the form Go's
  ``golang.org/x/mod/sumdb/note`` reads and Hanoi's ``--key`` options take;
* signer key ``PRIVATE+KEY+<name>+<hash>+base64(0x01 || 32-byte seed)``, secret.

:func:`open_note` checks, in this order and stopping at the first fault: the size, UTF-8,
control characters, the final newline, the blank line before the signatures, the number of
signature lines, each line's shape, then every signature by a known key (name *and* hash),
which must verify. Signatures by unknown keys are kept, untrusted. At least one known key
must have signed. Each fault raises a :class:`NoteError` whose class and ``check`` name it.

Stricter than Go's reader on purpose: base64 must be canonical (padded, no stray bits), and
a repeated signature line by a known key is verified too instead of being skipped unread.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoi.crypto.canonical import b64, b64decode_canonical
from hanoi.crypto.errors import CryptoError
from hanoi.errors import InvalidInput, Malformed, NotAuthentic

#: The signature type byte of plain Ed25519 note signatures.
ALG_ED25519 = 0x01
#: Go's reader refuses more; the spec asks every verifier to take at least 16.
MAX_SIGNATURES = 100
#: Room for 16 post-quantum signatures of nearly 5 kB, as the spec asks, and more.
MAX_NOTE_BYTES = 256 * 1024

SIGNATURE_PREFIX = "— "  # em dash U+2014, space
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_ED25519_KEY_BYTES = 32
_ED25519_SIGNATURE_BYTES = 64
_MAX_KEY_CHARS = 1024
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
# Unicode White_Space: what Go's unicode.IsSpace reports, so both sides agree on names.
_WHITE_SPACE = re.compile(
    "[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


# --- errors ----------------------------------------------------------------------------------


class NoteError(CryptoError):
    """Base of every refusal of a signed note, a note key or a signing request."""


NoteCheck = Literal[
    "size", "utf-8", "control", "newline", "signature-block", "signatures", "signature-line"
]


class MalformedNote(NoteError, Malformed):
    """The note (or the text to sign) is not a well-formed signed note; ``check`` says why:
    larger than the bound (``"size"``), not UTF-8 (``"utf-8"``), an ASCII control
    character other than newline (``"control"``), no final newline (``"newline"``), no
    blank line followed by signature lines (``"signature-block"``), more signature lines
    or signers than :data:`MAX_SIGNATURES` (``"signatures"``), or a signature line that is
    not ``— name base64`` with at least 5 bytes (``"signature-line"``)."""

    def __init__(self, message: str, *, check: NoteCheck) -> None:
        super().__init__(message)
        self.check = check


KeyCheck = Literal["format", "name", "algorithm", "key-hash"]


class MalformedKey(NoteError, Malformed):
    """A verifier or signer key string is not ``[PRIVATE+KEY+]name+hash+base64``
    (``check`` is ``"format"``), its name is empty or holds white space, ``+`` or a control
    character (``"name"``), it names a signature type this reader does not take
    (``"algorithm"``), or its key hash is not the one its key yields (``"key-hash"``)."""

    def __init__(self, message: str, *, check: KeyCheck = "format") -> None:
        super().__init__(message)
        self.check = check


KeySetCheck = Literal["signers", "verifiers"]


class KeySetError(NoteError, InvalidInput):
    """Keys that do not go together: a signing request without signers or with one key
    twice (``check`` is ``"signers"``), or two different verifiers sharing one name and key
    hash, so the trusted set is broken (``"verifiers"``)."""

    def __init__(self, message: str, *, check: KeySetCheck) -> None:
        super().__init__(message)
        self.check = check


class InvalidNoteSignature(NoteError, NotAuthentic):
    """A known key (same name and hash) signed the note, but the signature does not verify."""

    def __init__(self, name: str, key_hash: int) -> None:
        super().__init__(f"the signature of key {name}+{key_hash:08x} does not verify")
        self.name = name
        self.key_hash = key_hash


class NoVerifiedSignature(NoteError, NotAuthentic):
    """No key among the verifiers signed the note (it may hold other signatures)."""


# --- keys -----------------------------------------------------------------------------------


def check_key_name(name: str) -> str:
    """``name`` if it may name a note key; :class:`MalformedKey` (``check="name"``)
    otherwise."""
    if not isinstance(name, str) or not name:
        raise MalformedKey("a key name must be non-empty text", check="name")
    if "+" in name:
        raise MalformedKey(f"key name {_shown(name)} holds a '+'", check="name")
    if _WHITE_SPACE.search(name):
        raise MalformedKey(f"key name {_shown(name)} holds white space", check="name")
    if _CONTROL.search(name):
        raise MalformedKey(f"key name {_shown(name)} holds a control character", check="name")
    if not _is_utf8(name):
        raise MalformedKey(f"key name {_shown(name)} is not valid Unicode", check="name")
    return name


def key_hash(name: str, encoded_public_key: bytes) -> int:
    """The 32-bit key hash: SHA-256(name || newline || type byte || public key)[:4]."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + encoded_public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _encoded_public(key: Ed25519PublicKey, algorithm: int = ALG_ED25519) -> bytes:
    return bytes([algorithm]) + key.public_bytes_raw()


@dataclass(frozen=True)
class NamedPublicKey:
    """An Ed25519 public key under a name, for signatures of one type (``ALGORITHM``, the
    byte its key hash covers): the shared part of :class:`Verifier` and the witnesses'
    cosignature verifier. A ``key_hash`` given by hand must be the right one."""

    ALGORITHM: ClassVar[int] = ALG_ED25519
    ROLE: ClassVar[str] = "note verifier"
    KEY: ClassVar[str] = "key"

    name: str
    key_hash: int
    key: Ed25519PublicKey

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not isinstance(self.key, Ed25519PublicKey):
            raise TypeError(f"a {self.ROLE} needs an Ed25519 public key")
        _check_key_hash(self, self.key)

    @classmethod
    def for_key(cls, name: str, key: Ed25519PublicKey) -> Self:
        check_key_name(name)
        return cls(name, key_hash(name, _encoded_public(key, cls.ALGORITHM)), key)


@dataclass(frozen=True)
class NamedPrivateKey:
    """An Ed25519 private key under a name: the shared part of :class:`Signer` and the
    witnesses' cosignature signer (see :class:`NamedPublicKey`)."""

    ALGORITHM: ClassVar[int] = ALG_ED25519
    ROLE: ClassVar[str] = "note signer"
    KEY: ClassVar[str] = "key"

    name: str
    key_hash: int
    key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not isinstance(self.key, Ed25519PrivateKey):
            raise TypeError(f"a {self.ROLE} needs an Ed25519 private key")
        _check_key_hash(self, self.key.public_key())


def _check_key_hash(named: NamedPublicKey | NamedPrivateKey, public: Ed25519PublicKey) -> None:
    if key_hash(named.name, _encoded_public(public, named.ALGORITHM)) != named.key_hash:
        raise MalformedKey(
            f"key hash {named.key_hash:08x} does not match the {named.KEY}", check="key-hash"
        )


class NoteVerifier(Protocol):
    """What :func:`open_note` needs of a trusted key (so other signature types can join)."""

    @property
    def name(self) -> str: ...

    @property
    def key_hash(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool: ...


class NoteSigner(Protocol):
    """What :func:`sign_note` needs of a private key."""

    @property
    def name(self) -> str: ...

    @property
    def key_hash(self) -> int: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Verifier(NamedPublicKey):
    """A trusted Ed25519 public key under a name. Build with :meth:`for_key` or
    :func:`parse_verifier_key`; a ``key_hash`` given by hand must be the right one."""

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIGNATURE_BYTES:
            return False
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def key_string(self) -> str:
        return verifier_key_string(self)


@dataclass(frozen=True)
class Signer(NamedPrivateKey):
    """An Ed25519 private key under a name (the node's signing key, say). Build with
    :meth:`for_key` or :func:`parse_signer_key`."""

    @classmethod
    def for_key(cls, name: str, key: Ed25519PrivateKey) -> Signer:
        check_key_name(name)
        return cls(name, key_hash(name, _encoded_public(key.public_key())), key)

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_hash, self.key.public_key())

    def key_string(self) -> str:
        return signer_key_string(self)


def verifier_key_string(verifier: Verifier) -> str:
    """``name+hash+base64(0x01 || public key)``: what others need to check our notes."""
    encoded = b64(_encoded_public(verifier.key))
    return f"{verifier.name}+{verifier.key_hash:08x}+{encoded}"


def signer_key_string(signer: Signer) -> str:
    """``PRIVATE+KEY+name+hash+base64(0x01 || seed)``: secret, as Go's NewSigner reads it."""
    seed = bytes([ALG_ED25519]) + signer.key.private_bytes_raw()
    return f"{_PRIVATE_PREFIX}{signer.name}+{signer.key_hash:08x}+{b64(seed)}"


def parse_verifier_key(text: str) -> Verifier:
    """A verifier from ``name+hash+base64``. Surrounding white space is refused: strip it
    first. Raises :class:`MalformedKey`, whose ``check`` names the fault."""
    name, stated, raw = _split_key(text, "verifier key")
    key = Ed25519PublicKey.from_public_bytes(raw)
    _check_stated_hash(name, stated, bytes([ALG_ED25519]) + raw)
    return Verifier(name, stated, key)


def parse_signer_key(text: str) -> Signer:
    """A signer from ``PRIVATE+KEY+name+hash+base64(0x01 || seed)``; the hash must be the
    one of the public key the seed gives."""
    if not isinstance(text, str) or not text.startswith(_PRIVATE_PREFIX):
        raise MalformedKey("a signer key starts with PRIVATE+KEY+")
    name, stated, seed = _split_key(text[len(_PRIVATE_PREFIX) :], "signer key")
    key = Ed25519PrivateKey.from_private_bytes(seed)
    _check_stated_hash(name, stated, _encoded_public(key.public_key()))
    return Signer(name, stated, key)


def _split_key(text: str, what: str) -> tuple[str, int, bytes]:
    """(name, stated hash, 32 key bytes) of ``name+hash+base64(0x01 || key)``."""
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
    if raw is None or not raw:
        raise MalformedKey(f"the key of a {what} is not canonical base64")
    if raw[0] != ALG_ED25519:
        raise MalformedKey(f"{what} type {raw[0]:#04x} is not Ed25519 (0x01)", check="algorithm")
    if len(raw) != 1 + _ED25519_KEY_BYTES:
        raise MalformedKey(f"an Ed25519 {what} holds {_ED25519_KEY_BYTES} bytes")
    return name, int(hash_hex, 16), raw[1:]


def _check_stated_hash(name: str, stated: int, encoded_public: bytes) -> None:
    actual = key_hash(name, encoded_public)
    if actual != stated:
        raise MalformedKey(
            f"key {name}: stated hash {stated:08x}, but the key gives {actual:08x}",
            check="key-hash",
        )


# --- notes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key hash and the signature bytes after the hash."""

    name: str
    key_hash: int
    signature: bytes

    def line(self) -> str:
        """The line as written in a note, newline included."""
        raw = self.key_hash.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64(raw)}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text (final newline included), the signatures by trusted keys
    that verified, and the signatures by keys not given (kept, never trusted)."""

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...] = ()

    def verified_by(self, verifier: NoteVerifier) -> bool:
        return any(
            s.name == verifier.name and s.key_hash == verifier.key_hash for s in self.verified
        )


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """The signed note: ``text``, a blank line, one signature line per signer (in order).

    ``text`` must end in a newline and hold no control character but newlines; at least
    one signer, no key twice. A note that :func:`open_note` would refuse as too large is
    refused here too.
    """
    if not isinstance(text, str):
        raise TypeError("the note text must be str")
    if not _is_utf8(text):
        raise MalformedNote("the note text is not valid Unicode (lone surrogates)", check="utf-8")
    _check_controls(text)
    if not text.endswith("\n"):
        raise MalformedNote("the note text must end in a newline", check="newline")
    if not signers:
        raise KeySetError("a note needs at least one signer", check="signers")
    if len(signers) > MAX_SIGNATURES:
        raise MalformedNote(f"more than {MAX_SIGNATURES} signers", check="signatures")
    seen: set[tuple[str, int]] = set()
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        check_key_name(signer.name)
        identity = (signer.name, signer.key_hash)
        if identity in seen:
            raise KeySetError(
                f"key {signer.name}+{signer.key_hash:08x} is given twice", check="signers"
            )
        seen.add(identity)
        lines.append(Signature(signer.name, signer.key_hash, signer.sign(message)).line())
    note = (text + "\n" + "".join(lines)).encode("utf-8")
    if len(note) > MAX_NOTE_BYTES:
        raise MalformedNote(f"the signed note would exceed {MAX_NOTE_BYTES} bytes", check="size")
    return note


def open_note(
    note: bytes, verifiers: Iterable[NoteVerifier], *, max_bytes: int = MAX_NOTE_BYTES
) -> Note:
    """Parse ``note`` and check its signatures against ``verifiers`` (the trusted keys).

    Returns the text with the verified and the unknown signatures; raises a
    :class:`NoteError` subclass for the first fault (see the module's docstring).
    """
    if not isinstance(note, bytes | bytearray | memoryview):
        raise TypeError("a signed note is bytes")
    known = _verifier_map(verifiers)
    data = bytes(note)
    if len(data) > max_bytes:
        raise MalformedNote(
            f"the note holds {len(data)} bytes, more than {max_bytes}", check="size"
        )
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedNote(f"the note is not UTF-8 (byte {exc.start})", check="utf-8") from None
    _check_controls(decoded)
    if not decoded.endswith("\n"):
        raise MalformedNote("the note does not end in a newline", check="newline")
    split = decoded.rfind("\n\n")
    if split < 0 or split + 2 == len(decoded):
        raise MalformedNote("no blank line followed by signature lines", check="signature-block")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(
            f"{len(lines)} signature lines, more than {MAX_SIGNATURES}", check="signatures"
        )
    signatures = [_parse_signature_line(number, line) for number, line in enumerate(lines, 1)]

    message = text.encode("utf-8")
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_hash))
        if verifier is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if not verifier.verify(message, signature.signature):
            raise InvalidNoteSignature(signature.name, signature.key_hash)
        if not any((s.name, s.key_hash) == (signature.name, signature.key_hash) for s in verified):
            verified.append(signature)
    if not verified:
        names = ", ".join(sorted({f"{s.name}+{s.key_hash:08x}" for s in unverified}))
        raise NoVerifiedSignature(f"no trusted key signed the note (signed by: {names})")
    return Note(text=text, verified=tuple(verified), unverified=tuple(unverified))


def _parse_signature_line(number: int, line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(
            f"signature line {number} does not start with '— '", check="signature-line"
        )
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise MalformedNote(
            f"signature line {number} has no signature after the name", check="signature-line"
        )
    check_key_name(name)
    raw = b64decode_canonical(encoded)
    if raw is None:
        raise MalformedNote(
            f"signature line {number}: not canonical base64", check="signature-line"
        )
    if len(raw) < 5:
        raise MalformedNote(
            f"signature line {number}: shorter than a key hash and one byte", check="signature-line"
        )
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _verifier_map(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        identity = (verifier.name, verifier.key_hash)
        previous = known.get(identity)
        if previous is not None and previous != verifier:
            raise KeySetError(
                f"two different keys are both {verifier.name}+{verifier.key_hash:08x}",
                check="verifiers",
            )
        known[identity] = verifier
    return known


def _check_controls(text: str) -> None:
    found = _CONTROL.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise MalformedNote(
            f"control character {ord(found.group()):#04x} on line {line}", check="control"
        )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str) -> str:
    return repr(text[:60])


__all__ = [
    "ALG_ED25519",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "InvalidNoteSignature",
    "KeySetError",
    "MalformedKey",
    "MalformedNote",
    "NoVerifiedSignature",
    "Note",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "Signature",
    "Signer",
    "Verifier",
    "check_key_name",
    "key_hash",
    "open_note",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
    "signer_key_string",
    "verifier_key_string",
]
