"""Signed receipts: a round trip over a real sealed message, then tampering, receipts for
another message, the wrong signer, other algorithms and wrong shapes."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import OctKey, OKPKey

from hanoi.crypto import (
    BadSignature,
    DigestMismatch,
    EnvelopeError,
    IssuedInFuture,
    KeyStore,
    MalformedMessage,
    MessageClaims,
    OversizedMessage,
    Party,
    Receipt,
    SignerKeyEnded,
    UnknownSignerKey,
    WrongRecipient,
    canonical_json,
    keyring_lookup,
    new_message_id,
    open_message,
    seal_message,
    sha256_hex,
    sign_receipt,
    verify_receipt,
)
from hanoi.crypto.envelope import MESSAGE_TYPE
from hanoi.crypto.receipts import MAX_RECEIPT_BYTES, RECEIPT_TYPE

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RECEIVED = T0 + timedelta(seconds=2)
XA_CA = Party("XA", "XA-CA")
XB_CA = Party("XB", "XB-CA")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyStore]:
    root = tmp_path_factory.mktemp("receipts")
    made = {}
    for name in ("XA", "XB", "XC"):
        made[name] = KeyStore(root / name)
        made[name].init(now=T0 - timedelta(days=1))
    return made


@pytest.fixture(scope="module")
def delivered(stores: dict[str, KeyStore]) -> tuple[str, str]:
    """A message XA sealed to XB, opened by XB: its id and token digest."""
    xb = stores["XB"]
    recipient = xb.keyring().find(xb.active_kid("encryption") or "").public_key()
    claims = MessageClaims(
        message_id=new_message_id(),
        message_type="request.mla",
        sender=XA_CA,
        recipient=XB_CA,
        issued_at=T0,
        expires_at=T0 + timedelta(hours=1),
    )
    token = seal_message(
        b"{}", claims=claims, signing_key=stores["XA"].signing_key(), recipient_key=recipient
    )
    key = xb.encryption_key()
    opened = open_message(
        token,
        decryption_keys={key.kid: key.key},
        verification_keys=keyring_lookup({"XA": stores["XA"].records()}),
        expected_recipient=XB_CA,
        now=RECEIVED,
        seen=lambda message_id: False,
    )
    return opened.claims.message_id, opened.token_sha256


def lookup(stores: dict[str, KeyStore]) -> Any:
    return keyring_lookup({name: store.records() for name, store in stores.items()})


def receipt_from_xb(stores: dict[str, KeyStore], delivered: tuple[str, str]) -> str:
    message_id, digest = delivered
    return sign_receipt(
        message_id=message_id,
        message_digest=digest,
        received_at=RECEIVED,
        receiver=XB_CA,
        signing_key=stores["XB"].signing_key(),
    )


def verify(stores: dict[str, KeyStore], token: str, digest: str, **changes: Any) -> Receipt:
    arguments: dict[str, Any] = {
        "verification_keys": lookup(stores),
        "expected_message_digest": digest,
        "expected_receiver": XB_CA,
        "now": RECEIVED + timedelta(seconds=1),
    }
    arguments.update(changes)
    return verify_receipt(token, **arguments)


def refused(kind: type[EnvelopeError], call: Callable[[], object], check: str = "shape") -> None:
    with pytest.raises(kind) as caught:
        call()
    assert type(caught.value) is kind
    if kind is MalformedMessage:
        assert caught.value.check == check
    assert "\n" not in str(caught.value)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def body_of(token: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(unb64(token.split(".")[1]))
    return body


def signed(body: dict[str, Any], key: Any, **header: Any) -> str:
    full = {"alg": "Ed25519", "typ": RECEIPT_TYPE} | header
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jws.serialize_compact(full, canonical_json(body), key, algorithms=[full["alg"]])


def test_round_trip(stores: dict[str, KeyStore], delivered: tuple[str, str]) -> None:
    message_id, digest = delivered
    receipt = verify(stores, receipt_from_xb(stores, delivered), digest)
    assert receipt == Receipt(
        message_id=message_id,
        message_sha256=digest,
        received_at=RECEIVED,
        receiver=XB_CA,
        signer_kid=stores["XB"].active_kid("signing") or "",
    )
    # A State code alone accepts any authority of that State.
    assert verify(stores, receipt_from_xb(stores, delivered), digest, expected_receiver="XB")


def test_the_receipt_is_an_ed25519_jws(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    token = receipt_from_xb(stores, delivered)
    header = json.loads(unb64(token.split(".")[0]))
    assert header == {
        "alg": "Ed25519",
        "kid": stores["XB"].active_kid("signing"),
        "typ": RECEIPT_TYPE,
    }
    assert body_of(token)["message_sha256"] == delivered[1]


def test_a_tampered_signature_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    parts = receipt_from_xb(stores, delivered).split(".")
    signature = bytearray(unb64(parts[2]))
    signature[0] ^= 0x80
    parts[2] = b64(bytes(signature))
    refused(BadSignature, lambda: verify(stores, ".".join(parts), delivered[1]))


def test_a_changed_receive_time_under_the_old_signature_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    header, _, signature = receipt_from_xb(stores, delivered).split(".")
    body = body_of(receipt_from_xb(stores, delivered))
    body["received_at"] = "2026-03-01T08:00:00Z"
    forged = f"{header}.{b64(canonical_json(body))}.{signature}"
    refused(BadSignature, lambda: verify(stores, forged, delivered[1]))


def test_a_receipt_for_another_message_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    token = receipt_from_xb(stores, delivered)
    refused(DigestMismatch, lambda: verify(stores, token, sha256_hex(b"another message")))


def test_a_receipt_signed_by_another_state_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    message_id, digest = delivered
    xc = Party("XC", "XC-CA")
    from_xc = sign_receipt(
        message_id=message_id,
        message_digest=digest,
        received_at=RECEIVED,
        receiver=xc,
        signing_key=stores["XC"].signing_key(),
    )
    refused(WrongRecipient, lambda: verify(stores, from_xc, digest))
    # XC's key in XB's name: XB has no such key.
    posing = sign_receipt(
        message_id=message_id,
        message_digest=digest,
        received_at=RECEIVED,
        receiver=XB_CA,
        signing_key=stores["XC"].signing_key(),
    )
    refused(UnknownSignerKey, lambda: verify(stores, posing, digest))


def test_a_receive_time_in_the_future_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    token = receipt_from_xb(stores, delivered)
    refused(
        IssuedInFuture, lambda: verify(stores, token, delivered[1], now=T0 - timedelta(hours=1))
    )


def test_an_hs256_receipt_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    body = body_of(receipt_from_xb(stores, delivered))
    token = signed(body, OctKey.generate_key(256), alg="HS256", kid=body["kid"])
    refused(MalformedMessage, lambda: verify(stores, token, delivered[1]), "algorithm")


def test_a_message_jws_is_not_a_receipt(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    key = stores["XB"].signing_key()
    body = body_of(receipt_from_xb(stores, delivered))
    token = signed(body, OKPKey.import_key(key.key), kid=key.kid, typ=MESSAGE_TYPE)
    refused(MalformedMessage, lambda: verify(stores, token, delivered[1]))
    control = signed(body, OKPKey.import_key(key.key), kid=key.kid)
    assert verify(stores, control, delivered[1]).message_sha256 == delivered[1]


@pytest.mark.parametrize(
    "change",
    [
        {"extra": 1},
        {"format": "hanoi-receipt/0"},
        {"message_id": "nope"},
        {"message_sha256": "A" * 64},
        {"received_at": "2026-03-01T10:00:02+01:00"},
    ],
)
def test_a_signed_body_off_the_schema_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str], change: dict[str, Any]
) -> None:
    key = stores["XB"].signing_key()
    body = body_of(receipt_from_xb(stores, delivered)) | change
    token = signed(body, OKPKey.import_key(key.key), kid=key.kid)
    refused(MalformedMessage, lambda: verify(stores, token, delivered[1]))


def test_an_oversized_receipt_is_refused(
    stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    refused(OversizedMessage, lambda: verify(stores, "x" * (MAX_RECEIPT_BYTES + 1), delivered[1]))


def test_signing_checks_its_inputs(stores: dict[str, KeyStore]) -> None:
    key = stores["XB"].signing_key()
    good: dict[str, Any] = {
        "message_id": new_message_id(),
        "message_digest": sha256_hex(b"x"),
        "received_at": RECEIVED,
        "receiver": XB_CA,
        "signing_key": key,
    }
    assert sign_receipt(**good)
    for change in (
        {"message_digest": "xyz"},
        {"message_id": "x"},
        {"received_at": RECEIVED.replace(tzinfo=None)},
    ):
        with pytest.raises(ValueError):
            sign_receipt(**(good | change))


def test_a_receipt_backdated_before_a_revocation_is_refused_on_arrival(
    tmp_path: Path, stores: dict[str, KeyStore], delivered: tuple[str, str]
) -> None:
    receiver = KeyStore(tmp_path / "XB")
    receiver.init(now=T0 - timedelta(days=10))
    signing = receiver.signing_key()
    message_id, digest = delivered
    token = sign_receipt(
        message_id=message_id,
        message_digest=digest,
        received_at=RECEIVED,
        receiver=XB_CA,
        signing_key=signing,
    )
    receiver.revoke(signing.kid, "key copied", now=RECEIVED + timedelta(hours=1))
    keys = keyring_lookup({"XB": receiver.records()})
    assert verify(stores, token, digest, verification_keys=keys).received_at == RECEIVED
    later = RECEIVED + timedelta(days=1)
    with pytest.raises(SignerKeyEnded, match="signer key at receipt"):
        verify(stores, token, digest, verification_keys=keys, now=later)
