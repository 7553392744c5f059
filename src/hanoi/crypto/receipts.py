"""Signed receipts: the receiver's Ed25519 JWS saying "I received this message at this time".

A receipt is a compact JWS (``Ed25519``, the receiver's ``kid``, ``typ``
:data:`RECEIPT_TYPE`) over the RFC 8785 canonical JSON of::

    {"format": "hanoi-receipt/1", "message_id": ULID, "message_sha256": hex,
     "received_at": RFC 3339, "receiver": {"state", "authority"}, "kid": signer kid}

``message_sha256`` is the SHA-256 of the compact message token exactly as received
(:func:`hanoi.crypto.envelope.token_sha256`), so a receipt names one sealed message and no
other. Both sides keep it. Failures raise the :class:`~hanoi.crypto.envelope.EnvelopeError`
subclasses of the envelope module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws

from hanoi.crypto.canonical import canonical_json
from hanoi.crypto.envelope import (
    DEFAULT_SKEW,
    JWS_ALG,
    DigestMismatch,
    IssuedInFuture,
    MalformedMessage,
    Party,
    SignerKeys,
    WrongRecipient,
    bounded_token,
    check_kid,
    check_ulid,
    keys_valid_at_receipt,
    receipt_time,
    verify_signed_json,
)
from hanoi.crypto.keys import SigningKey, format_time, parse_time

RECEIPT_TYPE = "hanoi-receipt+jws"
RECEIPT_FORMAT = "hanoi-receipt/1"
MAX_RECEIPT_BYTES = 4096

_BODY_KEYS = frozenset({"format", "message_id", "message_sha256", "received_at", "receiver", "kid"})
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Receipt:
    """A verified receipt."""

    message_id: str
    message_sha256: str
    received_at: datetime
    receiver: Party
    signer_kid: str


def sign_receipt(
    *,
    message_id: str,
    message_digest: str,
    received_at: datetime,
    receiver: Party,
    signing_key: SigningKey | tuple[Ed25519PrivateKey, str],
) -> str:
    """The receiver's signed receipt for the message whose token has SHA-256
    ``message_digest`` (hex), received at ``received_at``."""
    private, kid = signing_key
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError("the signing key must be an Ed25519 private key")
    body = _body(message_id, message_digest, received_at, receiver, kid)
    header = {"alg": JWS_ALG, "kid": kid, "typ": RECEIPT_TYPE}
    return jws.serialize_compact(
        header, canonical_json(body), SigningKey(private, kid).jwk(), algorithms=[JWS_ALG]
    )


def verify_receipt(
    token: str | bytes,
    *,
    verification_keys: SignerKeys,
    expected_message_digest: str,
    expected_receiver: Party | str,
    now: datetime,
    skew: timedelta = DEFAULT_SKEW,
) -> Receipt:
    """Check a receipt, in this order: size, JWS header (``Ed25519`` only), signer key (of
    the receiver's State, valid at the receive time it claims, and still at ``now`` less
    ``skew``: see :func:`~hanoi.crypto.envelope.keys_valid_at_receipt`), signature, schema,
    receiver, receive time not in the future beyond ``skew``, and that it is for the
    expected message."""
    raw = bounded_token(token, MAX_RECEIPT_BYTES, "receipt")

    def signer_keys(body: Mapping[str, Any], signer: str) -> Sequence[Ed25519PublicKey]:
        try:
            receiver = Party.from_json(body.get("receiver"))
            received_at = parse_time(body.get("received_at"))
        except ValueError:
            raise MalformedMessage("receipt: no valid receiver or receive time") from None
        return keys_valid_at_receipt(
            verification_keys(receiver.state, signer, received_at),
            lambda: verification_keys(receiver.state, signer, receipt_time(received_at, now, skew)),
            "receipt",
        )

    body, signer = verify_signed_json(
        raw, typ=RECEIPT_TYPE, max_bytes=MAX_RECEIPT_BYTES, keys_for=signer_keys
    )
    try:
        if set(body) != _BODY_KEYS or body["format"] != RECEIPT_FORMAT:
            raise ValueError("unexpected fields")
        receiver = Party.from_json(body["receiver"])
        received_at = parse_time(body["received_at"])
        if body != _body(body["message_id"], body["message_sha256"], received_at, receiver, signer):
            raise ValueError("the body does not round-trip")
    except (ValueError, TypeError):
        raise MalformedMessage("receipt: the body does not match the receipt schema") from None
    if not receiver.matches(expected_receiver):
        raise WrongRecipient("receipt: signed by another party than the message's recipient")
    if received_at > now + skew:
        raise IssuedInFuture("receipt: the receive time is in the future")
    if body["message_sha256"] != expected_message_digest:
        raise DigestMismatch("receipt: it is for another message (digest differs)")
    return Receipt(
        message_id=body["message_id"],
        message_sha256=body["message_sha256"],
        received_at=received_at,
        receiver=receiver,
        signer_kid=signer,
    )


def _body(
    message_id: object, digest: object, received_at: datetime, receiver: Party, kid: str
) -> dict[str, Any]:
    # The same checks for signing and verifying: ids and digests in their one canonical form.
    check_ulid(message_id, "message id")
    check_kid(kid)
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise ValueError("a message digest is 64 lower-case hex characters")
    if not isinstance(receiver, Party):
        raise ValueError("the receiver must be a party")
    return {
        "format": RECEIPT_FORMAT,
        "message_id": message_id,
        "message_sha256": digest,
        "received_at": format_time(received_at),
        "receiver": receiver.to_json(),
        "kid": kid,
    }


__all__ = [
    "MAX_RECEIPT_BYTES",
    "RECEIPT_FORMAT",
    "RECEIPT_TYPE",
    "Receipt",
    "sign_receipt",
    "verify_receipt",
]
