"""JWK helpers (hanoi.crypto.jwk): unpadded base64url, RFC 7638 thumbprints, Ed25519 keys
to and from their JWK; the one implementation the key store and the directory share."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

from hanoi.crypto.jwk import (
    b64url,
    b64url_decode,
    ed25519_from_jwk,
    kid_of,
    okp_thumbprint,
    public_jwk,
)

# RFC 8037, appendix A.2 and A.3: the Ed25519 public key and its RFC 7638 thumbprint.
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_thumbprint_of_the_rfc_8037_example() -> None:
    assert okp_thumbprint("Ed25519", RFC8037_X) == RFC8037_THUMBPRINT


def test_the_kid_agrees_with_joserfc_for_both_curves() -> None:
    for curve in ("Ed25519", "X25519"):
        key = OKPKey.generate_key(curve, private=False)
        x = key.as_dict(private=False)["x"]
        assert okp_thumbprint(curve, str(x)) == key.thumbprint()


def test_public_jwk_round_trips() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    jwk = public_jwk(key)
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    assert jwk["kid"] == kid_of(key) == okp_thumbprint("Ed25519", jwk["x"])
    assert ed25519_from_jwk(jwk) == key


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", b"hanoi", bytes(range(256))])
def test_b64url_round_trips_without_padding(data: bytes) -> None:
    text = b64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["aGFub2k=", "a+b/", "abcde", "ab cd", "é", "abc\n"])
def test_b64url_decode_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="not unpadded base64url"):
        b64url_decode(text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"crv": "X25519"}, "not an Ed25519 public JWK"),
        ({"kty": "EC"}, "not an Ed25519 public JWK"),
        ({"d": "AAAA"}, "holds a private key"),
        ({"x": "AAAA"}, "not 32 bytes"),
        ({"x": "not base64url!"}, "not 32 bytes"),
        ({"kid": "someone-else"}, "not its RFC 7638 thumbprint"),
    ],
)
def test_ed25519_from_jwk_says_what_is_wrong(change: dict[str, str], message: str) -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": RFC8037_THUMBPRINT} | change
    with pytest.raises(ValueError, match=message):
        ed25519_from_jwk(jwk)
