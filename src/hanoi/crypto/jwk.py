"""JSON Web Keys for the OKP curves Hanoi uses: unpadded base64url, RFC 7638 thumbprints,
and Ed25519 public keys to and from their JWK.

A key's ``kid`` is its RFC 7638 thumbprint everywhere (the node's key store, the directory's
TUF key ids, message headers): SHA-256 over the JSON of the key's required members
``crv``, ``kty`` and ``x`` in that (lexicographic) order, without white space, base64url
without padding. Light on purpose: only the standard library and ``cryptography``, so the
directory's entry parsing can use it without loading JOSE.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of unpadded base64url ``text``; ``ValueError`` for anything else (padding,
    another alphabet, a length no encoding has)."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not unpadded base64url") from None


def okp_thumbprint(crv: str, x: str) -> str:
    """RFC 7638 thumbprint of an OKP key: SHA-256 over its required members, in order."""
    canonical = json.dumps({"crv": crv, "kty": "OKP", "x": x}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of ``key`` with its thumbprint as ``kid``."""
    x = b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": okp_thumbprint("Ed25519", x)}


def kid_of(key: Ed25519PublicKey) -> str:
    """The ``kid`` of ``key``: its RFC 7638 thumbprint."""
    return public_jwk(key)["kid"]


def ed25519_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """The Ed25519 public key of a public JWK; ``ValueError`` saying what is wrong if it is
    not one (another key type, a private key, a bad ``x``), or if it has a ``kid`` that is
    not its thumbprint."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 public JWK (kty OKP, crv Ed25519)")
    if "d" in jwk:
        raise ValueError("the JWK holds a private key; give the public key only")
    x = jwk.get("x")
    try:
        raw = b64url_decode(x) if isinstance(x, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError("the JWK's x is not 32 bytes of unpadded base64url")
    kid = jwk.get("kid")
    if kid is not None and kid != okp_thumbprint("Ed25519", str(x)):
        raise ValueError(f"the JWK's kid {kid!r} is not its RFC 7638 thumbprint")
    return Ed25519PublicKey.from_public_bytes(raw)
