"""Detached Ed25519 signatures over bytes kept elsewhere (RFC 7515, Appendix F).

A detached JWS is ``header..signature``: the payload travels as its own file (an evidence
manifest, say) and the verifier puts it back in before checking. The protected header names
the signer's ``kid`` and a ``typ``, so a signature made for one kind of document cannot be
passed off as another's.

The signature is made with ``cryptography`` alone: Ed25519 (RFC 8032) is deterministic, so
signing the JWS signing input ``BASE64URL(header) || '.' || BASE64URL(payload)`` with the
header written as joserfc writes it gives the very bytes joserfc's ``serialize_compact``
gives (``tests/crypto/test_detached.py`` checks both ways). Sealing evidence thus loads no
JOSE library; checking a signature still goes through joserfc's JWS validation
(:func:`hanoi.crypto.envelope.verify_ed25519_jws`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoi.crypto.envelope_base import JWS_ALG, MalformedMessage, jws_header_kid
from hanoi.crypto.jwk import b64url
from hanoi.crypto.keys import SigningKey

MAX_DETACHED_PAYLOAD = 16 * 1024 * 1024
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})


def sign_detached(
    payload: bytes, *, typ: str, signing_key: SigningKey | tuple[Ed25519PrivateKey, str]
) -> str:
    """``header..signature`` over ``payload`` with the node's Ed25519 key."""
    private, kid = signing_key
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError("the signing key must be an Ed25519 private key")
    if not isinstance(kid, str) or not isinstance(typ, str):
        raise TypeError("the kid and the typ are text")
    header = {"alg": JWS_ALG, "kid": kid, "typ": typ}
    # As joserfc writes a protected header: compact JSON, non-ASCII escaped, in this order.
    protected = b64url(json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode())
    signing_input = f"{protected}.{b64url(payload)}".encode("ascii")
    return f"{protected}..{b64url(private.sign(signing_input))}"


def verify_detached(
    token: str | bytes,
    payload: bytes,
    *,
    typ: str,
    keys_for: Callable[[str], Sequence[Ed25519PublicKey]],
) -> str:
    """Check a detached signature over ``payload``; return the signer's kid.

    ``keys_for(kid)`` names the candidate public keys (from the directory, or a key given
    for offline use). Raises :class:`MalformedMessage` (also for another algorithm),
    :class:`UnknownSignerKey` or :class:`BadSignature`.
    """
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedMessage("signature: not ASCII text") from None
    token = token.strip()
    if not token.isascii():
        raise MalformedMessage("signature: not ASCII text")
    if len(token) > 4096:
        raise MalformedMessage("signature: longer than any Ed25519 JWS")
    parts = token.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise MalformedMessage("signature: not a detached JWS (header..signature)")
    kid = jws_header_kid(parts[0].encode("ascii"), typ)
    if len(payload) > MAX_DETACHED_PAYLOAD:
        raise MalformedMessage(f"payload: larger than {MAX_DETACHED_PAYLOAD} bytes")
    attached = f"{parts[0]}.{b64url(payload)}.{parts[2]}".encode("ascii")
    # Checking loads joserfc, which sealing does not need: see the module docstring.
    from hanoi.crypto.envelope import verify_ed25519_jws

    verify_ed25519_jws(attached, keys_for(kid), MAX_DETACHED_PAYLOAD)
    return kid
