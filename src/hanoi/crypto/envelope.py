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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from ulid import ULID

from hanoi.crypto.canonical import canonical_json, sha256_hex
from hanoi.crypto.envelope_base import (
    JWS_ALG,
    BadSignature,
    DigestMismatch,
    EnvelopeError,
    ExpiredMessage,
    IssuedInFuture,
    MalformedMessage,
    OversizedMessage,
    Party,
    ReplayedMessage,
    SignerKeyEnded,
    SignerKeys,
    UnknownSignerKey,
    WrongRecipient,
    b64url_segment,
    check_kid,
    json_segment,
    jws_header_kid,
    keyring_lookup,
    keys_valid_at_receipt,
    receipt_time,
)
from hanoi.crypto.errors import CanonicalizationError
from hanoi.crypto.jwk import b64url
from hanoi.crypto.keys import SigningKey, format_time, parse_time

MESSAGE_TYPE = "hanoi-message+jws"
MESSAGE_FORMAT = "hanoi-message/1"

JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"

MAX_MESSAGE_BYTES = 1024 * 1024
DEFAULT_SKEW = timedelta(minutes=5)
MAX_LIFETIME = timedelta(days=7)

_JWE_HEADER_KEYS = frozenset({"alg", "enc", "kid", "cty", "epk"})
_BODY_KEYS = frozenset(
    {"format", "id", "type", "from", "to", "kid", "iat", "exp", "in_reply_to"}
    | {"payload_sha256", "payload"}
)
_MESSAGE_KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# --- claims -------------------------------------------------------------------------------


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
    header = json_segment(parts[0], "JWE header")
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
        payload = b64url_segment(body["payload"])
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
    body = json_segment(parts[1], "signed body")
    try:
        canonical = canonical_json(body) == b64url_segment(parts[1].decode("ascii"))
    except CanonicalizationError:
        canonical = False
    if not canonical:
        raise MalformedMessage("signed body: not RFC 8785 canonical JSON")
    verify_ed25519_jws(token, keys_for(body, kid), max_bytes)
    return body, kid


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
