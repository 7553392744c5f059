"""Sealed messages: a round trip with real node keys, then every refusal, each made concretely
(hand-built headers, other algorithms, tampered bytes, wrong keys, wrong times, replays)."""

from __future__ import annotations

import base64
import dataclasses
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from joserfc import jwe, jws
from joserfc.jwk import OctKey, OKPKey, RSAKey

from hanoi.crypto import (
    BadSignature,
    CryptoError,
    DigestMismatch,
    EnvelopeError,
    ExpiredMessage,
    IssuedInFuture,
    KeyStore,
    MalformedMessage,
    MessageClaims,
    OversizedMessage,
    Party,
    ReplayedMessage,
    SignerKeyEnded,
    UnknownSignerKey,
    WrongRecipient,
    canonical_json,
    keyring_lookup,
    new_message_id,
    open_message,
    seal_message,
    sha256_hex,
    token_sha256,
)
from hanoi.crypto.envelope import MESSAGE_TYPE

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KEYS_MADE = T0 - timedelta(days=10)
XA_CA = Party("XA", "XA-CA")
XB_CA = Party("XB", "XB-CA")
XB_247 = Party("XB", "XB-247")
PAYLOAD = b'{"request": "preserve stored data", "article": 42}'


@dataclasses.dataclass
class Nodes:
    xa: KeyStore
    xb: KeyStore
    xc: KeyStore

    def lookup(self) -> Any:
        return keyring_lookup({n: s.records() for n, s in (("XA", self.xa), ("XB", self.xb))})

    def recipient(self, store: KeyStore) -> OKPKey:
        return store.keyring().find(store.active_kid("encryption") or "").public_key()

    def decryption_keys(self, store: KeyStore) -> dict[str, Any]:
        key = store.encryption_key()
        return {key.kid: key.key}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Nodes:
    root = tmp_path_factory.mktemp("nodes")
    stores = []
    for name in ("XA", "XB", "XC"):
        store = KeyStore(root / name)
        store.init(now=KEYS_MADE)
        stores.append(store)
    return Nodes(*stores)


def claims(**changes: Any) -> MessageClaims:
    base = MessageClaims(
        message_id=new_message_id(),
        message_type="request.preservation",
        sender=XA_CA,
        recipient=XB_CA,
        issued_at=T0,
        expires_at=T0 + timedelta(hours=24),
    )
    return dataclasses.replace(base, **changes)


def seal(nodes: Nodes, payload: bytes = PAYLOAD, **changes: Any) -> str:
    return seal_message(
        payload,
        claims=claims(**changes),
        signing_key=nodes.xa.signing_key(),
        recipient_key=nodes.recipient(nodes.xb),
    )


def open_(nodes: Nodes, token: str, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "decryption_keys": nodes.decryption_keys(nodes.xb),
        "verification_keys": nodes.lookup(),
        "expected_recipient": "XB",
        "now": T0 + timedelta(minutes=1),
        "seen": lambda message_id: False,
    }
    arguments.update(changes)
    return open_message(token, **arguments)


def refused(
    kind: type[EnvelopeError], call: Callable[[], object], check: str = "shape"
) -> EnvelopeError:
    with pytest.raises(kind) as caught:
        call()
    assert type(caught.value) is kind  # that very check, not a parent or a sibling
    if kind is MalformedMessage:
        assert caught.value.check == check
    message = str(caught.value)
    assert message and "\n" not in message
    assert isinstance(caught.value, CryptoError)
    return caught.value


# --- building tokens by hand --------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def body_of(message: MessageClaims, kid: str, payload: bytes = PAYLOAD) -> dict[str, Any]:
    filled = dataclasses.replace(message, sender_kid=kid, payload_sha256=sha256_hex(payload))
    return filled.to_json() | {"payload": b64(payload)}


def sign(
    body: dict[str, Any] | bytes,
    key: Any,
    header: dict[str, Any],
) -> str:
    data = body if isinstance(body, bytes) else canonical_json(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EdDSA and short HMAC keys warn
        return jws.serialize_compact(header, data, key, algorithms=[header["alg"]])


def signed_by_xa(nodes: Nodes, body: dict[str, Any] | bytes, **header: Any) -> str:
    key = nodes.xa.signing_key()
    full = {"alg": "Ed25519", "kid": key.kid, "typ": MESSAGE_TYPE} | header
    # A JWK without "alg", so that any algorithm name can be tried with the real key.
    return sign(body, OKPKey.import_key(key.key), full)


def encrypt_to_xb(nodes: Nodes, inner: str, **header: Any) -> str:
    public = nodes.recipient(nodes.xb)
    full = {
        "alg": "ECDH-ES+A256KW",
        "enc": "A256GCM",
        "kid": public.thumbprint(),
        "cty": MESSAGE_TYPE,
    } | header
    return jwe.encrypt_compact(full, inner, public, algorithms=[full["alg"], full["enc"]])


def inner_of(nodes: Nodes, token: str) -> str:
    plaintext = jwe.decrypt_compact(
        token,
        OKPKey.import_key(nodes.xb.encryption_key().key),
        algorithms=["ECDH-ES+A256KW", "A256GCM"],
    ).plaintext
    assert plaintext is not None
    return plaintext.decode()


def with_header(token: str, header: dict[str, Any]) -> str:
    parts = token.split(".")
    return ".".join([b64(json.dumps(header).encode()), *parts[1:]])


def flip(segment: str, index: int = 5) -> str:
    raw = bytearray(unb64(segment))
    raw[index % len(raw)] ^= 0x01
    return b64(bytes(raw))


# --- the round trip -----------------------------------------------------------------------


def test_round_trip_with_node_keys(nodes: Nodes) -> None:
    message = claims(in_reply_to=new_message_id(), expires_at=T0 + timedelta(hours=2))
    token = seal_message(
        PAYLOAD,
        claims=message,
        signing_key=nodes.xa.signing_key(),
        recipient_key=nodes.recipient(nodes.xb),
    )
    opened = open_(nodes, token, expected_recipient=XB_CA)
    assert opened.payload == PAYLOAD
    assert opened.claims == dataclasses.replace(
        message,
        sender_kid=nodes.xa.active_kid("signing"),
        payload_sha256=sha256_hex(PAYLOAD),
    )
    assert opened.token_sha256 == sha256_hex(token.encode()) == token_sha256(token)


def test_the_token_is_a_jwe_holding_an_ed25519_jws(nodes: Nodes) -> None:
    token = seal(nodes)
    outer = json.loads(unb64(token.split(".")[0]))
    assert {k: outer[k] for k in ("alg", "enc", "cty", "kid")} == {
        "alg": "ECDH-ES+A256KW",
        "enc": "A256GCM",
        "cty": MESSAGE_TYPE,
        "kid": nodes.xb.active_kid("encryption"),
    }
    inner = inner_of(nodes, token)
    header = json.loads(unb64(inner.split(".")[0]))
    assert header == {
        "alg": "Ed25519",
        "kid": nodes.xa.active_kid("signing"),
        "typ": MESSAGE_TYPE,
    }
    body = json.loads(unb64(inner.split(".")[1]))
    assert unb64(body["payload"]) == PAYLOAD
    assert body["payload_sha256"] == sha256_hex(PAYLOAD)
    assert body["from"] == {"state": "XA", "authority": "XA-CA"}


def test_empty_payload_round_trips(nodes: Nodes) -> None:
    assert open_(nodes, seal(nodes, b"")).payload == b""


def test_a_message_sealed_before_a_rotation_still_opens(tmp_path: Path, nodes: Nodes) -> None:
    receiver = KeyStore(tmp_path / "XB")
    receiver.init(now=KEYS_MADE)
    old = receiver.encryption_key()
    token = seal_message(
        PAYLOAD,
        claims=claims(),
        signing_key=nodes.xa.signing_key(),
        recipient_key=nodes.recipient(receiver),
    )
    receiver.rotate("encryption", now=T0)
    new = receiver.encryption_key()
    assert new.kid != old.kid
    keys = {new.kid: new.key}
    refused(MalformedMessage, lambda: open_(nodes, token, decryption_keys=keys), "recipient-key")
    keys[old.kid] = receiver.encryption_key(kid=old.kid).key
    assert open_(nodes, token, decryption_keys=keys).payload == PAYLOAD


# --- size and structure -------------------------------------------------------------------


def test_oversized_tokens_are_refused_before_parsing(nodes: Nodes) -> None:
    token = seal(nodes)
    refused(OversizedMessage, lambda: open_(nodes, token, max_bytes=len(token) - 1))
    assert open_(nodes, token, max_bytes=len(token)).payload == PAYLOAD
    # Not even a token: still refused for its size, not its shape.
    refused(OversizedMessage, lambda: open_(nodes, "x" * 101, max_bytes=100))


def test_sealing_refuses_a_message_over_the_limit(nodes: Nodes) -> None:
    refused(
        OversizedMessage,
        lambda: seal_message(
            b"x" * 2000,
            claims=claims(),
            signing_key=nodes.xa.signing_key(),
            recipient_key=nodes.recipient(nodes.xb),
            max_bytes=2000,
        ),
    )


def test_a_payload_over_joserfcs_default_limits_round_trips(nodes: Nodes) -> None:
    big = b"A" * 200_000
    assert open_(nodes, seal(nodes, big)).payload == big


@pytest.mark.parametrize(
    "token",
    ["", "not a token", "a.b.c", "a.b.c.d.e", "é.b.c.d.e", "....."],
)
def test_garbage_is_malformed(nodes: Nodes, token: str) -> None:
    refused(MalformedMessage, lambda: open_(nodes, token))


# --- the JWE header -----------------------------------------------------------------------


def test_a_jwe_header_naming_rsa_oaep_is_refused(nodes: Nodes) -> None:
    token = seal(nodes)
    header = json.loads(unb64(token.split(".")[0])) | {"alg": "RSA-OAEP"}
    refused(MalformedMessage, lambda: open_(nodes, with_header(token, header)), "algorithm")


def test_a_real_rsa_oaep_jwe_is_refused(nodes: Nodes) -> None:
    rsa = RSAKey.import_key(generate_private_key(public_exponent=65537, key_size=2048))
    inner = signed_by_xa(nodes, body_of(claims(), nodes.xa.active_kid("signing") or ""))
    header = {"alg": "RSA-OAEP", "enc": "A256GCM", "cty": MESSAGE_TYPE, "kid": "x"}
    token = jwe.encrypt_compact(header, inner, rsa, algorithms=["RSA-OAEP", "A256GCM"])
    refused(MalformedMessage, lambda: open_(nodes, token), "algorithm")


def test_a_direct_encryption_jwe_is_refused(nodes: Nodes) -> None:
    inner = signed_by_xa(nodes, body_of(claims(), nodes.xa.active_kid("signing") or ""))
    key = OctKey.generate_key(256)
    kid = nodes.xb.active_kid("encryption")
    header = {"alg": "dir", "enc": "A256GCM", "cty": MESSAGE_TYPE, "kid": kid}
    token = jwe.encrypt_compact(header, inner, key, algorithms=["dir", "A256GCM"])
    refused(MalformedMessage, lambda: open_(nodes, token), "algorithm")


@pytest.mark.parametrize(
    ("alg", "enc"),
    [("ECDH-ES", "A256GCM"), ("ECDH-ES+A128KW", "A256GCM"), ("ECDH-ES+A256KW", "A128GCM")],
)
def test_other_ecdh_variants_to_the_right_key_are_refused(nodes: Nodes, alg: str, enc: str) -> None:
    inner = signed_by_xa(nodes, body_of(claims(), nodes.xa.active_kid("signing") or ""))
    token = encrypt_to_xb(nodes, inner, alg=alg, enc=enc)
    refused(MalformedMessage, lambda: open_(nodes, token), "algorithm")


def test_a_compressed_jwe_is_refused(nodes: Nodes) -> None:
    token = seal(nodes)
    header = json.loads(unb64(token.split(".")[0])) | {"zip": "DEF"}
    refused(MalformedMessage, lambda: open_(nodes, with_header(token, header)))


def test_a_jwe_without_the_message_content_type_is_refused(nodes: Nodes) -> None:
    inner = signed_by_xa(nodes, body_of(claims(), nodes.xa.active_kid("signing") or ""))
    token = encrypt_to_xb(nodes, inner, cty="JWT")
    refused(MalformedMessage, lambda: open_(nodes, token))


# --- recipient key and decryption ---------------------------------------------------------


def test_a_message_sealed_to_another_node_is_refused(nodes: Nodes) -> None:
    token = seal_message(
        PAYLOAD,
        claims=claims(),
        signing_key=nodes.xa.signing_key(),
        recipient_key=nodes.recipient(nodes.xc),
    )
    refused(MalformedMessage, lambda: open_(nodes, token), "recipient-key")


def test_a_header_kid_swapped_for_ours_does_not_decrypt(nodes: Nodes) -> None:
    token = seal_message(
        PAYLOAD,
        claims=claims(),
        signing_key=nodes.xa.signing_key(),
        recipient_key=nodes.recipient(nodes.xc),
    )
    header = json.loads(unb64(token.split(".")[0]))
    header["kid"] = nodes.xb.active_kid("encryption")
    refused(MalformedMessage, lambda: open_(nodes, with_header(token, header)), "decryption")


@pytest.mark.parametrize(("part", "name"), [(1, "key"), (2, "iv"), (3, "ciphertext"), (4, "tag")])
def test_a_flipped_bit_anywhere_in_the_jwe_is_refused(nodes: Nodes, part: int, name: str) -> None:
    parts = seal(nodes).split(".")
    parts[part] = flip(parts[part])
    refused(MalformedMessage, lambda: open_(nodes, ".".join(parts)), "decryption")


def test_a_changed_ephemeral_key_is_refused(nodes: Nodes) -> None:
    token = seal(nodes)
    header = json.loads(unb64(token.split(".")[0]))
    header["epk"]["x"] = flip(header["epk"]["x"])
    refused(MalformedMessage, lambda: open_(nodes, with_header(token, header)), "decryption")


# --- the inner JWS ------------------------------------------------------------------------


def test_an_hs256_inner_jws_is_refused(nodes: Nodes) -> None:
    kid = nodes.xa.active_kid("signing") or ""
    key = OctKey.generate_key(256)
    inner = sign(body_of(claims(), kid), key, {"alg": "HS256", "kid": kid, "typ": MESSAGE_TYPE})
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, inner)), "algorithm")


def test_the_deprecated_eddsa_name_is_refused_even_with_a_good_signature(nodes: Nodes) -> None:
    kid = nodes.xa.active_kid("signing") or ""
    inner = signed_by_xa(nodes, body_of(claims(), kid), alg="EdDSA")
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, inner)), "algorithm")


def test_an_unsigned_inner_jws_is_refused(nodes: Nodes) -> None:
    kid = nodes.xa.active_kid("signing") or ""
    header = {"alg": "none", "kid": kid, "typ": MESSAGE_TYPE}
    inner = f"{b64(json.dumps(header).encode())}.{b64(canonical_json(body_of(claims(), kid)))}."
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, inner)), "algorithm")


def test_an_inner_jws_with_extra_header_fields_is_refused(nodes: Nodes) -> None:
    kid = nodes.xa.active_kid("signing") or ""
    inner = signed_by_xa(nodes, body_of(claims(), kid), jku="https://example.invalid/keys")
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, inner)))


def test_an_unknown_signer_kid_is_refused(nodes: Nodes) -> None:
    stranger = Ed25519PrivateKey.generate()
    jwk = OKPKey.import_key(stranger)
    kid = jwk.thumbprint()
    header = {"alg": "Ed25519", "kid": kid, "typ": MESSAGE_TYPE}
    inner = sign(body_of(claims(), kid), jwk, header)
    refused(UnknownSignerKey, lambda: open_(nodes, encrypt_to_xb(nodes, inner)))


def test_a_sender_cannot_sign_in_another_states_name(nodes: Nodes) -> None:
    # XC's node signs with its own, perfectly valid key but claims to be XA.
    xc = nodes.xc.signing_key()
    lookup = keyring_lookup({"XA": nodes.xa.records(), "XC": nodes.xc.records()})
    header = {"alg": "Ed25519", "kid": xc.kid, "typ": MESSAGE_TYPE}
    inner = sign(body_of(claims(sender=XA_CA), xc.kid), xc.jwk(), header)
    token = encrypt_to_xb(nodes, inner)
    refused(UnknownSignerKey, lambda: open_(nodes, token, verification_keys=lookup))
    honest = sign(body_of(claims(sender=Party("XC", "XC-CA")), xc.kid), xc.jwk(), header)
    opened = open_(nodes, encrypt_to_xb(nodes, honest), verification_keys=lookup)
    assert opened.claims.sender.state == "XC"


def test_a_key_revoked_before_the_issue_time_is_refused(tmp_path: Path, nodes: Nodes) -> None:
    sender = KeyStore(tmp_path / "XA")
    sender.init(now=KEYS_MADE)
    signing = sender.signing_key()
    sender.revoke(signing.kid, "laptop lost", now=T0 - timedelta(hours=1))
    token = seal_message(
        PAYLOAD, claims=claims(), signing_key=signing, recipient_key=nodes.recipient(nodes.xb)
    )
    lookup = keyring_lookup({"XA": sender.records()})
    refused(UnknownSignerKey, lambda: open_(nodes, token, verification_keys=lookup))


def test_a_message_backdated_before_a_revocation_is_refused_on_arrival(
    tmp_path: Path, nodes: Nodes
) -> None:
    """The issue time is the sender's word: a message signed with a key revoked now is
    refused even if it claims a time before the revocation (and is otherwise in date)."""
    sender = KeyStore(tmp_path / "XA")
    sender.init(now=KEYS_MADE)
    signing = sender.signing_key()
    # Sealed (or forged with the stolen key) claiming T0; the key is revoked an hour later.
    token = seal_message(
        PAYLOAD,
        claims=claims(expires_at=T0 + timedelta(days=7)),
        signing_key=signing,
        recipient_key=nodes.recipient(nodes.xb),
    )
    before = keyring_lookup({"XA": sender.records()})
    sender.revoke(signing.kid, "laptop lost", now=T0 + timedelta(hours=1))
    after = keyring_lookup({"XA": sender.records()})
    # Before the revocation (and within the clock skew after it) the message opens ...
    assert open_(nodes, token, verification_keys=before).payload == PAYLOAD
    just_after = T0 + timedelta(hours=1, minutes=4)
    assert open_(nodes, token, verification_keys=after, now=just_after).payload == PAYLOAD
    # ... but not once the receiver's clock, less the skew, is past the revocation.
    later = T0 + timedelta(days=2)
    error = refused(SignerKeyEnded, lambda: open_(nodes, token, verification_keys=after, now=later))
    assert str(error).startswith("signer key at receipt:") and "revoked" in str(error)


def test_a_message_signed_in_grace_opens_until_the_grace_ends(tmp_path: Path, nodes: Nodes) -> None:
    sender = KeyStore(tmp_path / "XA")
    sender.init(now=KEYS_MADE)
    old = sender.signing_key()
    token = seal_message(
        PAYLOAD,
        claims=claims(expires_at=T0 + timedelta(days=7)),
        signing_key=old,
        recipient_key=nodes.recipient(nodes.xb),
    )
    sender.rotate("signing", grace=timedelta(days=3), now=T0 - timedelta(days=1))
    lookup = keyring_lookup({"XA": sender.records()})
    # Signed while the key was in grace and arriving while it still is: accepted.
    in_grace = T0 + timedelta(days=1)
    assert open_(nodes, token, verification_keys=lookup, now=in_grace).payload == PAYLOAD
    # The same message arriving after the grace ended (though not expired): refused.
    past = T0 + timedelta(days=2, minutes=6)
    refused(SignerKeyEnded, lambda: open_(nodes, token, verification_keys=lookup, now=past))


def test_a_flipped_signature_bit_is_refused(nodes: Nodes) -> None:
    inner = inner_of(nodes, seal(nodes)).split(".")
    inner[2] = flip(inner[2])
    refused(BadSignature, lambda: open_(nodes, encrypt_to_xb(nodes, ".".join(inner))))


def test_a_changed_body_under_the_old_signature_is_refused(nodes: Nodes) -> None:
    header, _, signature = inner_of(nodes, seal(nodes)).split(".")
    kid = nodes.xa.active_kid("signing") or ""
    other = b64(canonical_json(body_of(claims(), kid, b"another payload")))
    forged = f"{header}.{other}.{signature}"
    refused(BadSignature, lambda: open_(nodes, encrypt_to_xb(nodes, forged)))


def test_a_signature_by_another_key_under_the_senders_kid_is_refused(nodes: Nodes) -> None:
    kid = nodes.xa.active_kid("signing") or ""
    impostor = OKPKey.import_key(Ed25519PrivateKey.generate())
    inner = sign(
        body_of(claims(), kid), impostor, {"alg": "Ed25519", "kid": kid, "typ": MESSAGE_TYPE}
    )
    refused(BadSignature, lambda: open_(nodes, encrypt_to_xb(nodes, inner)))


# --- claims -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"extra": "field"},
        {"format": "hanoi-message/2"},
        {"id": "not-a-ulid"},
        {"type": "Has Spaces"},
        {"to": {"state": "XB"}},
        {"iat": "yesterday"},
        {"payload_sha256": "ABC"},
        {"payload": "not base64!"},
        {"kid": "someone-else"},
        {"iat": "2026-03-01T10:00:00+01:00"},  # same instant, not the canonical form
    ],
)
def test_a_signed_body_off_the_schema_is_refused(nodes: Nodes, change: dict[str, Any]) -> None:
    body = body_of(claims(), nodes.xa.active_kid("signing") or "") | change
    inner = signed_by_xa(nodes, body)
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, inner)))


def test_a_body_missing_a_field_is_refused(nodes: Nodes) -> None:
    body = body_of(claims(), nodes.xa.active_kid("signing") or "")
    del body["in_reply_to"]
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, signed_by_xa(nodes, body))))


def test_a_body_that_is_not_canonical_json_is_refused(nodes: Nodes) -> None:
    body = body_of(claims(), nodes.xa.active_kid("signing") or "")
    inner = signed_by_xa(nodes, json.dumps(body, indent=1).encode())
    refused(MalformedMessage, lambda: open_(nodes, encrypt_to_xb(nodes, inner)))


def test_the_control_body_built_by_hand_opens(nodes: Nodes) -> None:
    # The crafted cases above differ from this one only by what they break.
    body = body_of(claims(), nodes.xa.active_kid("signing") or "")
    assert open_(nodes, encrypt_to_xb(nodes, signed_by_xa(nodes, body))).payload == PAYLOAD


# --- recipient, time, digest, replay ------------------------------------------------------


def test_a_message_for_another_state_is_refused(nodes: Nodes) -> None:
    token = seal(nodes, recipient=Party("XC", "XC-CA"))  # yet sealed to XB's key
    refused(WrongRecipient, lambda: open_(nodes, token))


def test_a_message_for_another_authority_is_refused(nodes: Nodes) -> None:
    token = seal(nodes)
    refused(WrongRecipient, lambda: open_(nodes, token, expected_recipient=XB_247))
    assert open_(nodes, token, expected_recipient=XB_CA).payload == PAYLOAD


def test_an_expired_message_is_refused_beyond_the_skew(nodes: Nodes) -> None:
    token = seal(nodes, expires_at=T0 + timedelta(hours=1))
    late = T0 + timedelta(hours=1, minutes=5)
    refused(ExpiredMessage, lambda: open_(nodes, token, now=late))
    refused(ExpiredMessage, lambda: open_(nodes, token, now=T0 + timedelta(days=2)))
    # Within the five minutes of tolerated skew it still opens.
    assert open_(nodes, token, now=late - timedelta(seconds=1)).payload == PAYLOAD


def test_a_message_from_the_future_is_refused_beyond_the_skew(nodes: Nodes) -> None:
    token = seal(nodes, issued_at=T0 + timedelta(minutes=10))
    refused(IssuedInFuture, lambda: open_(nodes, token, now=T0))
    refused(IssuedInFuture, lambda: open_(nodes, token, now=T0 + timedelta(minutes=4)))
    assert open_(nodes, token, now=T0 + timedelta(minutes=5)).payload == PAYLOAD


def test_a_signed_digest_that_does_not_match_the_payload_is_refused(nodes: Nodes) -> None:
    body = body_of(claims(), nodes.xa.active_kid("signing") or "")
    body["payload_sha256"] = sha256_hex(b"something else")
    inner = signed_by_xa(nodes, body)
    refused(DigestMismatch, lambda: open_(nodes, encrypt_to_xb(nodes, inner)))


def test_a_replayed_message_is_refused(nodes: Nodes) -> None:
    seen: set[str] = set()
    token = seal(nodes)
    opened = open_(nodes, token, seen=seen.__contains__)
    seen.add(opened.claims.message_id)
    refused(ReplayedMessage, lambda: open_(nodes, token, seen=seen.__contains__))
    # A fresh seal of the same content has a new id and goes through.
    assert open_(nodes, seal(nodes), seen=seen.__contains__).payload == PAYLOAD


def test_checks_run_in_order(nodes: Nodes) -> None:
    # Expired and replayed: the expiry is reported; the replay callback is never asked.
    asked: list[str] = []

    def seen(message_id: str) -> bool:
        asked.append(message_id)
        return True

    token = seal(nodes, expires_at=T0 + timedelta(hours=1))
    refused(ExpiredMessage, lambda: open_(nodes, token, now=T0 + timedelta(days=1), seen=seen))
    assert asked == []
    # Unknown recipient key and bad signature: the key is reported, nothing is decrypted.
    parts = seal(nodes).split(".")
    parts[3] = flip(parts[3])
    refused(
        MalformedMessage, lambda: open_(nodes, ".".join(parts), decryption_keys={}), "recipient-key"
    )


# --- claims and sealing -------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"message_id": "01ARZ3NDEKTSV4RRFFQ69G5FA"},
        {"message_id": new_message_id().lower()},
        {"in_reply_to": "nope"},
        {"message_type": ""},
        {"expires_at": T0},
        {"expires_at": T0 + timedelta(days=8)},
        {"issued_at": T0.replace(tzinfo=None)},
        {"payload_sha256": "0" * 63},
    ],
)
def test_claims_are_checked_when_made(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        claims(**change)


@pytest.mark.parametrize(
    ("state", "authority"), [("xa", "XA-CA"), ("XA", "XB-CA"), ("XA", "CA"), ("XAA", "XAA-CA")]
)
def test_parties_are_checked_when_made(state: str, authority: str) -> None:
    with pytest.raises(ValueError):
        Party(state, authority)


def test_sealing_refuses_claims_that_disagree_with_key_or_payload(nodes: Nodes) -> None:
    for change in ({"payload_sha256": sha256_hex(b"other")}, {"sender_kid": "x" * 43}):
        with pytest.raises(ValueError):
            seal(nodes, **change)


def test_sealing_refuses_a_recipient_kid_that_is_not_the_thumbprint(nodes: Nodes) -> None:
    public = nodes.recipient(nodes.xb).as_dict()
    wrong = OKPKey.import_key(public | {"kid": "made-up"})
    with pytest.raises(ValueError):
        seal_message(
            PAYLOAD, claims=claims(), signing_key=nodes.xa.signing_key(), recipient_key=wrong
        )


def test_sealing_refuses_a_signing_key_as_recipient(nodes: Nodes) -> None:
    signing = nodes.xb.keyring().find(nodes.xb.active_kid("signing") or "").public_key()
    with pytest.raises(ValueError):
        seal_message(
            PAYLOAD, claims=claims(), signing_key=nodes.xa.signing_key(), recipient_key=signing
        )
