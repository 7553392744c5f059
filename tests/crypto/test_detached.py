"""Detached signatures: what verifies, and every way one must not."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.jwk import OKPKey

from hanoi.crypto.detached import MAX_DETACHED_PAYLOAD, sign_detached, verify_detached
from hanoi.crypto.envelope import (
    BadSignature,
    MalformedMessage,
    UnknownSignerKey,
)
from hanoi.crypto.jwk import kid_of
from hanoi.crypto.keys import SigningKey
from hanoi.evidence.manifest import MANIFEST_TYP
from tests.raising import raises_check

TYP = "hanoi-manifest+jws"
PAYLOAD = b'{"files":[{"name":"disk.E01","sha256":"00"}]}'
KEY = Ed25519PrivateKey.generate()
KID = "A" * 43


def _keys(kid: str) -> list[Ed25519PublicKey]:
    return [KEY.public_key()] if kid == KID else []


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_detached_signature_verifies_and_names_its_signer() -> None:
    token = sign_detached(PAYLOAD, typ=TYP, signing_key=(KEY, KID))
    header, empty, _ = token.split(".")
    assert empty == ""  # the payload is not inside
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "alg": "Ed25519",
        "kid": KID,
        "typ": TYP,
    }
    assert verify_detached(token, PAYLOAD, typ=TYP, keys_for=_keys) == KID
    assert verify_detached(token.encode() + b"\n", PAYLOAD, typ=TYP, keys_for=_keys) == KID


def test_a_changed_payload_or_signature_fails() -> None:
    token = sign_detached(PAYLOAD, typ=TYP, signing_key=(KEY, KID))
    with pytest.raises(BadSignature):
        verify_detached(token, PAYLOAD.replace(b"00", b"01"), typ=TYP, keys_for=_keys)
    header, _, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(BadSignature):
        verify_detached(f"{header}..{flipped}", PAYLOAD, typ=TYP, keys_for=_keys)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(BadSignature):
        verify_detached(
            sign_detached(PAYLOAD, typ=TYP, signing_key=(other, KID)),
            PAYLOAD,
            typ=TYP,
            keys_for=_keys,
        )


def test_unknown_signer_other_type_and_malformed_tokens_are_refused() -> None:
    token = sign_detached(PAYLOAD, typ=TYP, signing_key=(KEY, KID))
    with pytest.raises(UnknownSignerKey):
        verify_detached(token, PAYLOAD, typ=TYP, keys_for=lambda kid: [])
    with pytest.raises(MalformedMessage, match="typ"):
        verify_detached(token, PAYLOAD, typ="hanoi-other+jws", keys_for=_keys)
    header, _, signature = token.split(".")
    attached = f"{header}.{_b64(PAYLOAD)}.{signature}"
    for bad in (attached, "x", "a.b", "", "é..x", "A" * 5000):
        with pytest.raises(MalformedMessage):
            verify_detached(bad, PAYLOAD, typ=TYP, keys_for=_keys)
    none_alg = _b64(json.dumps({"alg": "none", "kid": KID, "typ": TYP}).encode())
    with raises_check(MalformedMessage, "algorithm"):
        verify_detached(f"{none_alg}..{signature}", PAYLOAD, typ=TYP, keys_for=_keys)
    extra = _b64(json.dumps({"alg": "Ed25519", "kid": KID, "typ": TYP, "b64": False}).encode())
    with pytest.raises(MalformedMessage):
        verify_detached(f"{extra}..{signature}", PAYLOAD, typ=TYP, keys_for=_keys)


@pytest.mark.parametrize(
    "payload",
    [PAYLOAD, b"", '{"name":"dossier \u00e9t\u00e9.pdf"}'.encode(), bytes(range(256)) * 4097],
    ids=["manifest", "empty", "utf-8", "1 MiB of every byte"],
)
@pytest.mark.parametrize("typ", [TYP, MANIFEST_TYP])
def test_a_detached_signature_is_the_one_joserfc_makes_and_joserfc_verifies_it(
    payload: bytes, typ: str
) -> None:
    """sign_detached signs with cryptography alone: the token is byte for byte what
    joserfc's compact serialization gives (its payload then cut out), for a node's real
    kid and for one with non-ASCII text, and joserfc's own validation accepts it."""
    for kid in (kid_of(KEY.public_key()), "clé-" + KID):
        token = sign_detached(payload, typ=typ, signing_key=SigningKey(KEY, kid))
        registry = jws.JWSRegistry(algorithms=["Ed25519"])
        registry.max_payload_length = MAX_DETACHED_PAYLOAD
        header = {"alg": "Ed25519", "kid": kid, "typ": typ}
        made = jws.serialize_compact(header, payload, SigningKey(KEY, kid).jwk(), registry=registry)
        protected, _, signature = made.split(".")
        assert token == f"{protected}..{signature}"
        attached = f"{protected}.{_b64(payload)}.{signature}"
        public = OKPKey.import_key(KEY.public_key())
        checked = jws.deserialize_compact(attached, public, registry=registry)
        assert checked.payload == payload and checked.headers() == header
