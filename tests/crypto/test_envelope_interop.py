"""Cross-check with a second, independent JOSE library: jwcrypto.

Hanoi seals with joserfc. Here jwcrypto decrypts a sealed message with the recipient's X25519
key, verifies the inner JWS with the sender's Ed25519 key under the fully-specified algorithm
name ``Ed25519`` (RFC 9864, which jwcrypto 1.6 implements beside the older ``EdDSA``) and
reads back the claims; it verifies a receipt the same way, refuses a message with one
ciphertext bit flipped, and builds a message of its own that :func:`open_message` accepts.
The keys come from a real :class:`KeyStore`: public JWKs as the keyring publishes them,
private keys as pyca objects. What is independent is the JOSE layer (header handling, ECDH-ES
Concat KDF, key wrapping, serialisation); both libraries use pyca/cryptography primitives.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from jwcrypto import jwe, jwk, jws  # type: ignore[import-untyped]
from jwcrypto.common import JWException  # type: ignore[import-untyped]

from hanoi.crypto import (
    KEY_KINDS,
    KeyKind,
    KeyStore,
    MessageClaims,
    Party,
    keyring_lookup,
    new_message_id,
    open_message,
    seal_message,
    sign_receipt,
    token_sha256,
)
from hanoi.crypto.envelope import MESSAGE_FORMAT, MESSAGE_TYPE, MalformedMessage
from hanoi.crypto.receipts import RECEIPT_FORMAT, RECEIPT_TYPE
from tests.raising import raises_check

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
XA_CA = Party("XA", "XA-CA")
XB_CA = Party("XB", "XB-CA")
PAYLOAD = b'{"article":42,"request":"preserve stored data"}'

#: Only what a Hanoi message may use: jwcrypto otherwise allows a long default list.
JWE_ALGS = ["ECDH-ES+A256KW", "A256GCM"]
JWS_ALGS = ["Ed25519"]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyStore]:
    root: Path = tmp_path_factory.mktemp("interop")
    made = {}
    for name in ("XA", "XB", "XC"):
        made[name] = KeyStore(root / name)
        made[name].init(now=T0 - timedelta(days=1))
    return made


def public_jwk(store: KeyStore, kind: KeyKind) -> jwk.JWK:
    """The key as the keyring publishes it (JSON), read by jwcrypto."""
    kid = store.active_kid(kind)
    assert kid is not None
    return jwk.JWK.from_json(json.dumps(store.keyring().find(kid).public_jwk))


def decryption_jwk(store: KeyStore) -> jwk.JWKSet:
    """The recipient's X25519 private key, handed to jwcrypto as a pyca key, in a key set
    indexed by the Hanoi kid (so jwcrypto picks it by the JWE header's ``kid``)."""
    private, kid = store.encryption_key()
    key = jwk.JWK.from_pyca(private)
    key.update({"kid": kid})
    keyset = jwk.JWKSet()
    keyset.add(key)
    return keyset


def seal(stores: dict[str, KeyStore], payload: bytes = PAYLOAD) -> tuple[str, MessageClaims]:
    claims = MessageClaims(
        message_id=new_message_id(),
        message_type="request.submit",
        sender=XA_CA,
        recipient=XB_CA,
        issued_at=T0,
        expires_at=T0 + timedelta(days=1),
    )
    recipient = stores["XB"].keyring().find(stores["XB"].active_kid("encryption") or "")
    token = seal_message(
        payload,
        claims=claims,
        signing_key=stores["XA"].signing_key(),
        recipient_key=recipient.public_key(),
    )
    return token, claims


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwcrypto_decrypt(token: str, key: jwk.JWK | jwk.JWKSet) -> jwe.JWE:
    message = jwe.JWE()
    message.allowed_algs = JWE_ALGS
    message.deserialize(token, key=key)
    return message


def jwcrypto_verify(token: str, key: jwk.JWK) -> jws.JWS:
    signed = jws.JWS()
    signed.allowed_algs = JWS_ALGS
    signed.deserialize(token)
    signed.verify(key, alg="Ed25519")
    return signed


def test_the_kids_are_the_rfc7638_thumbprints_jwcrypto_computes(
    stores: dict[str, KeyStore],
) -> None:
    for store in stores.values():
        for kind in KEY_KINDS:
            key = public_jwk(store, kind)
            assert key.thumbprint() == store.active_kid(kind)
        private, kid = store.encryption_key()
        assert jwk.JWK.from_pyca(private).thumbprint() == kid


def test_a_sealed_message_decrypts_and_verifies_with_jwcrypto(
    stores: dict[str, KeyStore],
) -> None:
    token, claims = seal(stores)

    outer = jwcrypto_decrypt(token, decryption_jwk(stores["XB"]))
    header = outer.jose_header
    assert header["alg"] == "ECDH-ES+A256KW"
    assert header["enc"] == "A256GCM"
    assert header["cty"] == MESSAGE_TYPE
    assert header["kid"] == stores["XB"].active_kid("encryption")
    assert header["epk"]["kty"] == "OKP"
    assert header["epk"]["crv"] == "X25519"
    assert "d" not in header["epk"]
    inner_token = outer.payload.decode("ascii")
    assert inner_token.count(".") == 2

    inner = jwcrypto_verify(inner_token, public_jwk(stores["XA"], "signing"))
    assert inner.jose_header == {
        "alg": "Ed25519",
        "kid": stores["XA"].active_kid("signing"),
        "typ": MESSAGE_TYPE,
    }
    signed_bytes = inner.payload
    body = json.loads(signed_bytes)
    assert rfc8785.dumps(body) == signed_bytes  # signed over RFC 8785 canonical JSON
    assert body["format"] == MESSAGE_FORMAT
    assert body["id"] == claims.message_id
    assert body["type"] == "request.submit"
    assert body["from"] == {"state": "XA", "authority": "XA-CA"}
    assert body["to"] == {"state": "XB", "authority": "XB-CA"}
    assert body["kid"] == stores["XA"].active_kid("signing")
    assert body["iat"] == "2026-03-01T09:00:00Z"
    assert body["exp"] == "2026-03-02T09:00:00Z"
    assert body["in_reply_to"] is None
    assert b64decode(body["payload"]) == PAYLOAD
    assert body["payload_sha256"] == hashlib.sha256(PAYLOAD).hexdigest()


def test_the_header_names_ed25519_not_the_older_eddsa(stores: dict[str, KeyStore]) -> None:
    """jwcrypto pinned to the older name ``EdDSA`` refuses the ``Ed25519`` header: the
    verification above really ran under the fully-specified algorithm."""
    token, _ = seal(stores)
    inner = jwcrypto_decrypt(token, decryption_jwk(stores["XB"])).payload.decode("ascii")
    signed = jws.JWS()
    signed.allowed_algs = ["EdDSA"]
    signed.deserialize(inner)
    with pytest.raises(JWException, match="Algorithm not allowed"):
        signed.verify(public_jwk(stores["XA"], "signing"))


def test_one_flipped_signature_bit_is_refused_by_jwcrypto(stores: dict[str, KeyStore]) -> None:
    token, _ = seal(stores)
    inner = jwcrypto_decrypt(token, decryption_jwk(stores["XB"])).payload.decode("ascii")
    header, body, signature = inner.split(".")
    flipped = bytearray(b64decode(signature))
    flipped[0] ^= 0x01
    with pytest.raises(JWException, match="Verification failed"):
        jwcrypto_verify(
            f"{header}.{body}.{b64encode(bytes(flipped))}", public_jwk(stores["XA"], "signing")
        )


def test_a_receipt_verifies_with_jwcrypto(stores: dict[str, KeyStore]) -> None:
    token, claims = seal(stores)
    digest = token_sha256(token)
    received = T0 + timedelta(seconds=3)
    receipt = sign_receipt(
        message_id=claims.message_id,
        message_digest=digest,
        received_at=received,
        receiver=XB_CA,
        signing_key=stores["XB"].signing_key(),
    )

    signed = jwcrypto_verify(receipt, public_jwk(stores["XB"], "signing"))
    assert signed.jose_header == {
        "alg": "Ed25519",
        "kid": stores["XB"].active_kid("signing"),
        "typ": RECEIPT_TYPE,
    }
    body = json.loads(signed.payload)
    assert rfc8785.dumps(body) == signed.payload
    assert body == {
        "format": RECEIPT_FORMAT,
        "message_id": claims.message_id,
        "message_sha256": hashlib.sha256(token.encode("ascii")).hexdigest(),
        "received_at": "2026-03-01T09:00:03Z",
        "receiver": {"state": "XB", "authority": "XB-CA"},
        "kid": stores["XB"].active_kid("signing"),
    }
    # Signed by XB, so XA's key must not verify it.
    with pytest.raises(JWException):
        jwcrypto_verify(receipt, public_jwk(stores["XA"], "signing"))


def test_one_flipped_ciphertext_byte_is_refused_by_jwcrypto_and_by_hanoi(
    stores: dict[str, KeyStore],
) -> None:
    token, _ = seal(stores)
    parts = token.split(".")
    ciphertext = bytearray(b64decode(parts[3]))
    ciphertext[len(ciphertext) // 2] ^= 0x01
    parts[3] = b64encode(bytes(ciphertext))
    tampered = ".".join(parts)
    assert tampered != token

    with pytest.raises(JWException):
        jwcrypto_decrypt(tampered, decryption_jwk(stores["XB"]))
    # The untampered token still opens with the same key set: the refusal is the tag check.
    jwcrypto_decrypt(token, decryption_jwk(stores["XB"]))

    xb_key = stores["XB"].encryption_key()
    with raises_check(MalformedMessage, "decryption"):
        open_message(
            tampered,
            decryption_keys={xb_key.kid: xb_key.key},
            verification_keys=keyring_lookup({"XA": stores["XA"].records()}),
            expected_recipient="XB",
            now=T0,
            seen=lambda _id: False,
        )


def test_jwcrypto_refuses_a_message_sealed_to_another_node(stores: dict[str, KeyStore]) -> None:
    token, _ = seal(stores)
    private, _ = stores["XC"].encryption_key()
    with pytest.raises(JWException):
        jwcrypto_decrypt(token, jwk.JWK.from_pyca(private))


def test_a_message_built_by_jwcrypto_opens_with_hanoi(stores: dict[str, KeyStore]) -> None:
    """The reverse direction: jwcrypto signs and encrypts, :func:`open_message` accepts."""
    xa_signing = stores["XA"].signing_key()
    message_id = new_message_id()
    body: dict[str, Any] = {
        "format": MESSAGE_FORMAT,
        "id": message_id,
        "type": "request.action",
        "from": {"state": "XA", "authority": "XA-CA"},
        "to": {"state": "XB", "authority": "XB-CA"},
        "kid": xa_signing.kid,
        "iat": "2026-03-01T09:00:00Z",
        "exp": "2026-03-02T09:00:00Z",
        "in_reply_to": None,
        "payload_sha256": hashlib.sha256(PAYLOAD).hexdigest(),
        "payload": b64encode(PAYLOAD),
    }
    signer = jws.JWS(rfc8785.dumps(body))
    signer.allowed_algs = JWS_ALGS
    signer.add_signature(
        jwk.JWK.from_pyca(xa_signing.key),
        alg="Ed25519",
        protected={"alg": "Ed25519", "kid": xa_signing.kid, "typ": MESSAGE_TYPE},
    )
    inner = signer.serialize(compact=True)

    xb_public = public_jwk(stores["XB"], "encryption")
    protected = {
        "alg": "ECDH-ES+A256KW",
        "enc": "A256GCM",
        "kid": xb_public.thumbprint(),
        "cty": MESSAGE_TYPE,
    }
    encrypter = jwe.JWE(inner.encode("ascii"), protected=protected)
    encrypter.allowed_algs = JWE_ALGS
    encrypter.add_recipient(xb_public)
    token = encrypter.serialize(compact=True)

    xb_key = stores["XB"].encryption_key()
    opened = open_message(
        token,
        decryption_keys={xb_key.kid: xb_key.key},
        verification_keys=keyring_lookup({"XA": stores["XA"].records()}),
        expected_recipient="XB",
        now=T0 + timedelta(minutes=1),
        seen=lambda _id: False,
    )
    assert opened.claims.message_id == message_id
    assert opened.claims.sender == XA_CA
    assert opened.claims.recipient == XB_CA
    assert opened.claims.sender_kid == xa_signing.kid
    assert opened.payload == PAYLOAD
    assert opened.token_sha256 == token_sha256(token)
