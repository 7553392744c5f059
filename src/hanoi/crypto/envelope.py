"""Messages between nodes: a signed JWS nested inside an encrypted JWE.

A sealed message is a compact JWE (``ECDH-ES+A256KW`` / ``A256GCM``, to the recipient's
X25519 key, ``kid`` in the header, ``cty`` :data:`MESSAGE_TYPE`) whose plaintext is a
compact JWS (``Ed25519``, the sender's ``kid`` in the header, ``typ`` :data:`MESSAGE_TYPE`).
The JWS payload is the RFC 8785 canonical JSON of::

    {"format": "hanoi-message/1", "id": ULID, "type": ..., "from": {"state", "authority"},
     "to": {"state", "authority"}, "kid": signer kid, "iat": RFC 3339, "exp": RFC 3339,
     "in_reply_to": ULID or null, "payload_sha256": hex, "payload": base64url}

:func:`open_message` checks, in this order and stopping at the first failure: the size, the
JWE header (algorithms exactly as above, nothing else), the recipient key, decryption, the
JWS header (``Ed25519`` only), the signer key (valid at the time the message claims), the
signer key at receipt (still valid now, less the allowed clock skew), the signature, the
claims, the recipient, the validity window, the payload digest and replay. Each failure
raises its own subclass of :class:`EnvelopeError`, whose one-line message names the check;
nothing else is returned. Recording the message id as seen is the caller's job, in the same
transaction that stores the message.

Why both times: the issue time is the sender's own word. A key judged only at that time
would let whoever holds a revoked key backdate a message to before the revocation (and the
message stays acceptable for up to :data:`MAX_LIFETIME`); judged at receipt too, a key
revoked, or whose grace period ended, verifies nothing that arrives afterwards
(:func:`keys_valid_at_receipt`, also used for receipts and evidence manifests).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from ulid import ULID

from hanoi.crypto.canonical import canonical_json, parse_json, sha256_hex
from hanoi.crypto.errors import CanonicalizationError, CryptoError
from hanoi.crypto.jwk import b64url, b64url_decode
from hanoi.crypto.keys import KeyRecord, SigningKey, format_time, parse_time
from hanoi.errors import (
    Conflict,
    Malformed,
    Misdirected,
    NotAuthentic,
    TooLarge,
    VerificationFailed,
)

MESSAGE_TYPE = "hanoi-message+jws"
MESSAGE_FORMAT = "hanoi-message/1"

JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"
JWS_ALG = "Ed25519"

MAX_MESSAGE_BYTES = 1024 * 1024
DEFAULT_SKEW = timedelta(minutes=5)
MAX_LIFETIME = timedelta(days=7)

_JWE_HEADER_KEYS = frozenset({"alg", "enc", "kid", "cty", "epk"})
_JWS_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_BODY_KEYS = frozenset(
    {"format", "id", "type", "from", "to", "kid", "iat", "exp", "in_reply_to"}
    | {"payload_sha256", "payload"}
)
_STATE = re.compile(r"[A-Z]{2}")
_AUTHORITY = re.compile(r"[A-Z]{2}-[A-Z0-9-]{1,30}")
_MESSAGE_KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
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


# --- claims -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class MessageClaims:
    """What a message says about itself.

    ``sender_kid`` and ``payload_sha256`` are filled in by :func:`seal_message`; a value
    given there must agree with the signing key and the payload.
    """

    message_id: str
    message_type: str
    sender: Party
    recipient: Party
    issued_at: datetime
    expires_at: datetime
    in_reply_to: str | None = None
    sender_kid: str | None = None
    payload_sha256: str | None = None

    def __post_init__(self) -> None:
        check_ulid(self.message_id, "message id")
        if self.in_reply_to is not None:
            check_ulid(self.in_reply_to, "in-reply-to")
        if not isinstance(self.message_type, str) or not _MESSAGE_KIND.fullmatch(self.message_type):
            raise ValueError("a message type is lower-case letters, digits, '.', '_' or '-'")
        if not isinstance(self.sender, Party) or not isinstance(self.recipient, Party):
            raise ValueError("sender and recipient must be parties")
        for moment in (self.issued_at, self.expires_at):
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                raise ValueError("issued-at and expiry must be timezone-aware times")
        if self.expires_at <= self.issued_at:
            raise ValueError("the expiry must come after the issue time")
        if self.expires_at - self.issued_at > MAX_LIFETIME:
            raise ValueError(f"a message may be valid for at most {MAX_LIFETIME.days} days")
        if self.sender_kid is not None:
            check_kid(self.sender_kid)
        if self.payload_sha256 is not None and not (
            isinstance(self.payload_sha256, str) and _SHA256_HEX.fullmatch(self.payload_sha256)
        ):
            raise ValueError("the payload digest is 64 lower-case hex characters")

    def to_json(self) -> dict[str, Any]:
        if self.sender_kid is None or self.payload_sha256 is None:
            raise ValueError("sender kid and payload digest are not filled in")
        return {
            "format": MESSAGE_FORMAT,
            "id": self.message_id,
            "type": self.message_type,
            "from": self.sender.to_json(),
            "to": self.recipient.to_json(),
            "kid": self.sender_kid,
            "iat": format_time(self.issued_at),
            "exp": format_time(self.expires_at),
            "in_reply_to": self.in_reply_to,
            "payload_sha256": self.payload_sha256,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageClaims:
        if data.get("format") != MESSAGE_FORMAT:
            raise ValueError(f"not a {MESSAGE_FORMAT} body")
        for name in ("kid", "payload_sha256"):
            if not isinstance(data.get(name), str):
                raise ValueError(f"'{name}' is missing")
        return cls(
            message_id=data["id"],
            message_type=data["type"],
            sender=Party.from_json(data["from"]),
            recipient=Party.from_json(data["to"]),
            issued_at=parse_time(data["iat"]),
            expires_at=parse_time(data["exp"]),
            in_reply_to=data["in_reply_to"],
            sender_kid=data["kid"],
            payload_sha256=data["payload_sha256"],
        )


@dataclass(frozen=True)
class OpenedMessage:
    """A message that passed every check."""

    claims: MessageClaims
    payload: bytes
    token_sha256: str
    """SHA-256 of the compact token as received: what a receipt refers to."""


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


def new_message_id() -> str:
    """A fresh ULID, as a message id."""
    return str(ULID())


def token_sha256(token: str | bytes) -> str:
    """The SHA-256 of a compact token (hex): what receipts refer to."""
    return sha256_hex(token.encode("ascii") if isinstance(token, str) else token)


# --- sealing ------------------------------------------------------------------------------


def seal_message(
    payload: bytes,
    *,
    claims: MessageClaims,
    signing_key: SigningKey | tuple[Ed25519PrivateKey, str],
    recipient_key: OKPKey | X25519PublicKey,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> str:
    """Sign ``payload`` with ``claims`` and encrypt it to ``recipient_key``.

    ``signing_key`` is the sender's (Ed25519 private key, kid); the recipient's kid is the
    RFC 7638 thumbprint of its X25519 key. Raises :class:`OversizedMessage` if the token
    would exceed ``max_bytes``, ``ValueError`` for claims that disagree with the key or the
    payload.
    """
    private, kid = signing_key
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError("the signing key must be an Ed25519 private key")
    if not isinstance(payload, bytes):
        raise TypeError("the payload must be bytes")
    digest = hashlib.sha256(payload).hexdigest()
    if claims.sender_kid not in (None, kid):
        raise ValueError("the claims name another sender kid than the signing key's")
    if claims.payload_sha256 not in (None, digest):
        raise ValueError("the claims carry another payload digest than the payload's")
    claims = replace(claims, sender_kid=kid, payload_sha256=digest)
    body = claims.to_json() | {"payload": b64url(payload)}
    header = {"alg": JWS_ALG, "kid": kid, "typ": MESSAGE_TYPE}
    signed = jws.serialize_compact(
        header,
        canonical_json(body),
        SigningKey(private, kid).jwk(),
        registry=_jws_registry(max_bytes),
    )
    public = _recipient_jwk(recipient_key)
    protected = {"alg": JWE_ALG, "enc": JWE_ENC, "kid": public.thumbprint(), "cty": MESSAGE_TYPE}
    token = jwe.encrypt_compact(protected, signed, public, registry=_jwe_registry(max_bytes))
    if len(token) > max_bytes:
        raise OversizedMessage(f"size: the sealed message exceeds {max_bytes} bytes")
    return token


# --- opening ------------------------------------------------------------------------------


def open_message(
    token: str | bytes,
    *,
    decryption_keys: Mapping[str, X25519PrivateKey],
    verification_keys: SignerKeys,
    expected_recipient: Party | str,
    now: datetime,
    seen: Callable[[str], bool],
    max_bytes: int = MAX_MESSAGE_BYTES,
    skew: timedelta = DEFAULT_SKEW,
) -> OpenedMessage:
    """Decrypt and verify a sealed message, or raise the :class:`EnvelopeError` of the first
    check that fails (order in the module docstring).

    ``decryption_keys`` maps kids to this node's X25519 keys (older ones too, to open what
    was sealed before a rotation); ``expected_recipient`` is a party, or a State code for
    any of its authorities; ``seen(message_id)`` says whether the id was already received.
    """
    raw = bounded_token(token, max_bytes)
    parts = raw.split(b".")
    if len(parts) != 5:
        raise MalformedMessage("structure: not a compact JWE (five parts)")
    header = _json_object(parts[0], "JWE header")
    if header.get("alg") != JWE_ALG or header.get("enc") != JWE_ENC:
        raise MalformedMessage(
            f"JWE header: only {JWE_ALG} with {JWE_ENC} is accepted", check="algorithm"
        )
    if not set(header) <= _JWE_HEADER_KEYS or header.get("cty") != MESSAGE_TYPE:
        raise MalformedMessage(f"JWE header: only alg, enc, kid, epk and cty {MESSAGE_TYPE}")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in decryption_keys:
        raise MalformedMessage(
            "recipient key: the message is sealed to a kid not held here", check="recipient-key"
        )
    private = OKPKey.import_key(decryption_keys[kid])
    try:
        plaintext = jwe.decrypt_compact(raw, private, registry=_jwe_registry(max_bytes)).plaintext
    except (JoseError, ValueError, TypeError):
        raise MalformedMessage(
            "decryption: the message does not decrypt with its key", check="decryption"
        ) from None
    if plaintext is None:
        raise MalformedMessage("decryption: the message is empty", check="decryption")

    def signer_keys(body: Mapping[str, Any], signer: str) -> Sequence[Ed25519PublicKey]:
        try:
            sender = Party.from_json(body.get("from"))
            signed_at = parse_time(body.get("iat"))
        except ValueError:
            raise MalformedMessage("claims: no valid sender or issue time") from None
        return keys_valid_at_receipt(
            verification_keys(sender.state, signer, signed_at),
            lambda: verification_keys(sender.state, signer, receipt_time(signed_at, now, skew)),
        )

    body, signer = verify_signed_json(
        plaintext, typ=MESSAGE_TYPE, max_bytes=max_bytes, keys_for=signer_keys
    )
    if set(body) != _BODY_KEYS:
        raise MalformedMessage("claims: the body does not have exactly the expected fields")
    try:
        claims = MessageClaims.from_json(body)
        payload = _b64decode(body["payload"])
    except (ValueError, TypeError, KeyError, MalformedMessage):
        raise MalformedMessage("claims: the body does not match the message schema") from None
    if claims.sender_kid != signer:
        raise MalformedMessage("claims: the body's kid is not the signature's kid")
    if claims.to_json() | {"payload": body["payload"]} != body:
        raise MalformedMessage("claims: a field is not in its canonical form")
    if not claims.recipient.matches(expected_recipient):
        raise WrongRecipient("recipient: the message is addressed to another party")
    if now - skew >= claims.expires_at:
        raise ExpiredMessage("validity: the message has expired")
    if claims.issued_at > now + skew:
        raise IssuedInFuture("validity: the message is issued in the future")
    if hashlib.sha256(payload).hexdigest() != claims.payload_sha256:
        raise DigestMismatch("payload digest: the payload does not match its SHA-256")
    if seen(claims.message_id):
        raise ReplayedMessage("replay: this message id has been received before")
    return OpenedMessage(claims=claims, payload=payload, token_sha256=token_sha256(raw))


# --- shared with receipts -----------------------------------------------------------------


def verify_signed_json(
    token: bytes,
    *,
    typ: str,
    max_bytes: int,
    keys_for: Callable[[Mapping[str, Any], str], Sequence[Ed25519PublicKey]],
) -> tuple[dict[str, Any], str]:
    """Check a compact Ed25519 JWS over canonical JSON; return the body and the signer kid.

    ``keys_for(unverified_body, kid)`` names the candidate keys; the body is only returned
    once one of them verifies the signature.
    """
    parts = token.split(b".")
    if len(parts) != 3:
        raise MalformedMessage("structure: not a compact JWS (three parts)")
    kid = jws_header_kid(parts[0], typ)
    body = _json_object(parts[1], "signed body")
    try:
        canonical = canonical_json(body) == _b64decode(parts[1].decode("ascii"))
    except CanonicalizationError:
        canonical = False
    if not canonical:
        raise MalformedMessage("signed body: not RFC 8785 canonical JSON")
    verify_ed25519_jws(token, keys_for(body, kid), max_bytes)
    return body, kid


def jws_header_kid(segment: bytes, typ: str) -> str:
    """The signer kid of a JWS protected header holding exactly ``alg`` Ed25519, ``kid`` and
    ``typ`` (the expected one); anything else is refused."""
    header = _json_object(segment, "JWS header")
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


def verify_ed25519_jws(token: bytes, keys: Sequence[Ed25519PublicKey], max_bytes: int) -> None:
    """Check a compact JWS against the candidate ``keys``: :class:`UnknownSignerKey` if
    there are none, :class:`BadSignature` if none verifies."""
    if not keys:
        raise UnknownSignerKey("signer key: no valid key with this kid for the sender")
    registry = _jws_registry(max_bytes)
    try:
        signature = jws.extract_compact(token, registry=registry)
        valid = any(
            jws.validate_compact(signature, OKPKey.import_key(key), registry=registry)
            for key in keys
        )
    except (JoseError, ValueError, TypeError):
        valid = False
    if not valid:
        raise BadSignature("signature: the Ed25519 signature does not verify")


def bounded_token(token: str | bytes, max_bytes: int, what: str = "message") -> bytes:
    """``token`` as ASCII bytes, refused with :class:`OversizedMessage` before any parsing."""
    if not isinstance(token, str | bytes):
        raise MalformedMessage(f"structure: a {what} is text")
    if len(token) > max_bytes:
        raise OversizedMessage(f"size: the {what} exceeds {max_bytes} bytes")
    if isinstance(token, bytes):
        raw = token
    else:
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedMessage(f"structure: a {what} is ASCII only") from None
    return raw


# --- internals ----------------------------------------------------------------------------


def _jws_registry(max_bytes: int) -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=[JWS_ALG])
    registry.max_payload_length = max_bytes
    return registry


def _jwe_registry(max_bytes: int) -> jwe.JWERegistry:
    registry = jwe.JWERegistry(algorithms=[JWE_ALG, JWE_ENC])
    registry.max_ciphertext_length = max_bytes
    return registry


def _recipient_jwk(key: OKPKey | X25519PublicKey) -> OKPKey:
    if isinstance(key, X25519PublicKey):
        key = OKPKey.import_key(key)
    if not isinstance(key, OKPKey) or key.curve_name != "X25519":
        raise ValueError("the recipient key must be an X25519 key")
    public = OKPKey.import_key(key.as_dict(private=False))
    declared = key.kid
    if declared is not None and declared != public.thumbprint():
        raise ValueError("the recipient key's kid is not its RFC 7638 thumbprint")
    return public


def _json_object(segment: bytes, what: str) -> dict[str, Any]:
    try:
        value = parse_json(_b64decode(segment.decode("ascii")), unique_keys=True)
    except (ValueError, UnicodeDecodeError):
        raise MalformedMessage(f"{what}: not base64url JSON") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{what}: not a JSON object")
    return value


def _b64decode(text: object) -> bytes:
    if not isinstance(text, str):
        raise MalformedMessage("encoding: not base64url")
    try:
        return b64url_decode(text)
    except ValueError:
        raise MalformedMessage("encoding: not base64url") from None


def check_ulid(value: object, what: str) -> None:
    """``ValueError`` unless ``value`` is a ULID in canonical (upper-case) form."""
    if not isinstance(value, str):
        raise ValueError(f"the {what} must be a ULID")
    try:
        canonical = str(ULID.from_str(value))
    except ValueError:
        raise ValueError(f"the {what} must be a ULID") from None
    if canonical != value:
        raise ValueError(f"the {what} must be a ULID in canonical (upper-case) form")


def check_kid(kid: object) -> None:
    """``ValueError`` unless ``kid`` is printable text of 1 to 100 characters."""
    if not isinstance(kid, str) or not 0 < len(kid) <= _MAX_KID_CHARS or not kid.isprintable():
        raise ValueError("a kid is printable text of at most 100 characters")


__all__ = [
    "DEFAULT_SKEW",
    "JWE_ALG",
    "JWE_ENC",
    "JWS_ALG",
    "MAX_LIFETIME",
    "MAX_MESSAGE_BYTES",
    "MESSAGE_FORMAT",
    "MESSAGE_TYPE",
    "BadSignature",
    "DigestMismatch",
    "EnvelopeError",
    "ExpiredMessage",
    "IssuedInFuture",
    "MalformedMessage",
    "MessageClaims",
    "OpenedMessage",
    "OversizedMessage",
    "Party",
    "ReplayedMessage",
    "SignerKeyEnded",
    "SignerKeys",
    "UnknownSignerKey",
    "WrongRecipient",
    "bounded_token",
    "check_kid",
    "check_ulid",
    "keyring_lookup",
    "keys_valid_at_receipt",
    "new_message_id",
    "open_message",
    "receipt_time",
    "seal_message",
    "token_sha256",
    "verify_signed_json",
]
