"""Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto.cosignature import (
    ALG_COSIGNATURE_V1,
    MAX_TIMESTAMP,
    CosignatureError,
    CosignatureSigner,
    CosignatureVerifier,
    cosignatures_of,
    cosigned_message,
    parse_any_verifier_key,
    parse_cosigner_signer_key,
    parse_cosigner_verifier_key,
    split_cosignature,
)
from hanoi.crypto.note import (
    InvalidNoteSignature,
    MalformedKey,
    NoteError,
    Signature,
    Signer,
    Verifier,
    open_note,
    sign_note,
)
from tests.raising import raises_check

TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
WITNESS = "witness.example/w1"
TIME = 1679315147


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def cosigner(key: Ed25519PrivateKey) -> CosignatureSigner:
    return CosignatureSigner.for_key(WITNESS, key, clock=lambda: TIME)


@pytest.fixture(scope="module")
def log() -> Signer:
    return Signer.for_key("example.com/behind-the-sofa", Ed25519PrivateKey.generate())


def cosigned_note(log: Signer, *signers: CosignatureSigner, at: int = TIME) -> bytes:
    note = sign_note(TEXT, [log])
    lines = "".join(s.signature_line(TEXT, at).line() for s in signers)
    return note + lines.encode()


# --- the format, checked independently of the module --------------------------------------------


def test_key_hash_uses_type_byte_4(key: Ed25519PrivateKey, cosigner: CosignatureSigner) -> None:
    public = key.public_key().public_bytes_raw()
    expected = hashlib.sha256(WITNESS.encode() + b"\n\x04" + public).digest()[:4]
    assert cosigner.key_hash == int.from_bytes(expected, "big")
    # The same key as a plain note key has another hash: the two never get mixed up.
    assert Signer.for_key(WITNESS, key).key_hash != cosigner.key_hash


def test_signature_is_timestamp_then_ed25519_over_the_v1_message(
    key: Ed25519PrivateKey, cosigner: CosignatureSigner
) -> None:
    signature = cosigner.sign_at(TEXT.encode(), TIME)
    assert len(signature) == 72
    assert signature[:8] == TIME.to_bytes(8, "big")
    message = b"cosignature/v1\ntime 1679315147\n" + TEXT.encode()
    key.public_key().verify(signature[8:], message)  # raises if not
    assert cosigned_message(TEXT.encode(), TIME) == message


def test_signature_line_shape(cosigner: CosignatureSigner) -> None:
    line = cosigner.signature_line(TEXT, TIME).line()
    assert line.startswith(f"— {WITNESS} ")
    raw = base64.b64decode(line.split(" ")[2])
    assert int.from_bytes(raw[:4], "big") == cosigner.key_hash
    assert raw[4:12] == TIME.to_bytes(8, "big")


# --- with signed notes ---------------------------------------------------------------------------


def test_open_note_checks_cosignatures_next_to_the_log(
    log: Signer, cosigner: CosignatureSigner
) -> None:
    note = cosigned_note(log, cosigner)
    opened = open_note(note, [log.verifier(), cosigner.verifier()])
    assert [s.name for s in opened.verified] == [log.name, WITNESS]
    found = cosignatures_of(opened, [cosigner.verifier()])
    assert [(c.name, c.key_hash, c.timestamp) for c in found] == [
        (WITNESS, cosigner.key_hash, TIME)
    ]


def test_sign_note_takes_a_cosigner_and_its_clock(cosigner: CosignatureSigner) -> None:
    note = sign_note(TEXT, [cosigner])
    opened = open_note(note, [cosigner.verifier()])
    assert cosignatures_of(opened, [cosigner.verifier()])[0].timestamp == TIME


def test_unknown_cosigners_are_kept_untrusted(log: Signer, cosigner: CosignatureSigner) -> None:
    opened = open_note(cosigned_note(log, cosigner), [log.verifier()])
    assert [s.name for s in opened.unverified] == [WITNESS]
    assert cosignatures_of(opened, [cosigner.verifier()]) == []


def test_altered_timestamp_does_not_verify(log: Signer, cosigner: CosignatureSigner) -> None:
    good = cosigner.signature_line(TEXT, TIME)
    moved = Signature(good.name, good.key_hash, (TIME + 1).to_bytes(8, "big") + good.signature[8:])
    note = sign_note(TEXT, [log]) + moved.line().encode()
    with pytest.raises(InvalidNoteSignature) as caught:
        open_note(note, [log.verifier(), cosigner.verifier()])
    assert caught.value.name == WITNESS


def test_plain_signature_by_the_same_key_is_no_cosignature(key: Ed25519PrivateKey) -> None:
    verifier = CosignatureVerifier.for_key(WITNESS, key.public_key())
    plain = key.sign(TEXT.encode())
    assert not verifier.verify(TEXT.encode(), TIME.to_bytes(8, "big") + plain)
    assert not verifier.verify(TEXT.encode(), plain)


@pytest.mark.parametrize("length", [0, 8, 64, 71, 73])
def test_wrong_length_does_not_verify(cosigner: CosignatureSigner, length: int) -> None:
    signature = cosigner.sign_at(TEXT.encode(), TIME)
    forged = (signature * 2)[:length]
    assert not cosigner.verifier().verify(TEXT.encode(), forged)
    with raises_check(CosignatureError, "length"):
        split_cosignature(forged)


def test_timestamp_beyond_2_63_does_not_verify(key: Ed25519PrivateKey) -> None:
    big = 2**63
    message = b"cosignature/v1\ntime " + str(big).encode() + b"\n" + TEXT.encode()
    forged = big.to_bytes(8, "big") + key.sign(message)
    verifier = CosignatureVerifier.for_key(WITNESS, key.public_key())
    assert not verifier.verify(TEXT.encode(), forged)
    with raises_check(CosignatureError, "timestamp"):
        split_cosignature(forged)


@pytest.mark.parametrize("timestamp", [-1, MAX_TIMESTAMP + 1, True, 1.5])
def test_signer_refuses_bad_timestamps(cosigner: CosignatureSigner, timestamp: object) -> None:
    with raises_check(CosignatureError, "timestamp"):
        cosigner.sign_at(TEXT.encode(), timestamp)  # type: ignore[arg-type]


def test_timestamp_limits_round_trip(cosigner: CosignatureSigner) -> None:
    for timestamp in (0, MAX_TIMESTAMP):
        signature = cosigner.sign_at(TEXT.encode(), timestamp)
        assert cosigner.verifier().verify(TEXT.encode(), signature)
        assert split_cosignature(signature)[0] == timestamp


def test_cosignature_errors_are_note_errors() -> None:
    assert issubclass(CosignatureError, NoteError)


# --- key strings ---------------------------------------------------------------------------------


def test_verifier_key_round_trip(cosigner: CosignatureSigner) -> None:
    text = cosigner.verifier().key_string()
    name, hash_hex, key64 = text.split("+", 2)
    assert name == WITNESS
    assert int(hash_hex, 16) == cosigner.key_hash
    assert base64.b64decode(key64)[0] == ALG_COSIGNATURE_V1
    assert parse_cosigner_verifier_key(text) == cosigner.verifier()
    assert parse_any_verifier_key(text) == cosigner.verifier()


def test_signer_key_round_trip(cosigner: CosignatureSigner) -> None:
    text = cosigner.key_string()
    assert text.startswith("PRIVATE+KEY+" + WITNESS + "+")
    again = parse_cosigner_signer_key(text, clock=lambda: TIME)
    assert again.verifier() == cosigner.verifier()
    assert again.sign(TEXT.encode()) == cosigner.sign(TEXT.encode())  # Ed25519 is deterministic


def test_any_verifier_key_reads_plain_note_keys(log: Signer) -> None:
    parsed = parse_any_verifier_key(log.verifier().key_string())
    assert isinstance(parsed, Verifier)
    assert parsed == log.verifier()


def _key_string(name: str, hash_hex: str, raw: bytes) -> str:
    return f"{name}+{hash_hex}+{base64.b64encode(raw).decode()}"


def test_verifier_key_refusals(key: Ed25519PrivateKey, log: Signer) -> None:
    public = key.public_key().public_bytes_raw()
    good = CosignatureVerifier.for_key(WITNESS, key.public_key())
    hash_hex = f"{good.key_hash:08x}"
    with raises_check(MalformedKey, "algorithm"):
        parse_cosigner_verifier_key(log.verifier().key_string())  # a 0x01 key
    with raises_check(MalformedKey, "algorithm"):
        parse_any_verifier_key(_key_string(WITNESS, hash_hex, b"\x06" + public))
    with raises_check(MalformedKey, "key-hash"):
        parse_cosigner_verifier_key(_key_string(WITNESS, "00000000", b"\x04" + public))
    with raises_check(MalformedKey, "key-hash"):
        parse_cosigner_verifier_key(_key_string("other.example", hash_hex, b"\x04" + public))
    with pytest.raises(MalformedKey):
        parse_cosigner_verifier_key(_key_string(WITNESS, hash_hex, b"\x04" + public[:31]))
    with pytest.raises(MalformedKey):
        parse_cosigner_verifier_key(good.key_string() + "=")  # not canonical base64
    with pytest.raises(MalformedKey):
        parse_cosigner_verifier_key(WITNESS + "+" + hash_hex)
    with pytest.raises(MalformedKey):
        parse_cosigner_verifier_key(_key_string(WITNESS, hash_hex[:7], b"\x04" + public))
    with pytest.raises(MalformedKey):
        parse_cosigner_verifier_key("x" * 2000)
    with raises_check(MalformedKey, "name"):
        parse_cosigner_verifier_key(_key_string("bad name", hash_hex, b"\x04" + public))


def test_signer_key_refusals(cosigner: CosignatureSigner, log: Signer) -> None:
    with pytest.raises(MalformedKey):
        parse_cosigner_signer_key(cosigner.key_string()[len("PRIVATE+KEY+") :])
    with raises_check(MalformedKey, "algorithm"):
        parse_cosigner_signer_key(log.key_string())
    with pytest.raises(MalformedKey):
        parse_cosigner_verifier_key(cosigner.key_string())


def test_constructors_check_the_key_hash(key: Ed25519PrivateKey) -> None:
    good = CosignatureVerifier.for_key(WITNESS, key.public_key())
    with raises_check(MalformedKey, "key-hash"):
        CosignatureVerifier(WITNESS, good.key_hash ^ 1, key.public_key())
    with raises_check(MalformedKey, "key-hash"):
        CosignatureSigner(WITNESS, good.key_hash ^ 1, key)
