"""Our age writer against the spec (c2sp.org/age) and against the two real decrypters.

The header is opened here the way an identity would (the spec's decryption side, written
out in the test), the payload is taken apart chunk by chunk to see every nonce and the
final-chunk flag, and whole files are decrypted by the `age` CLI and by pyrage, with the
sizes where the last chunk is easy to get wrong: empty, one byte, 64 KiB - 1, exactly 64 KiB
and its multiples (whose final chunk is full, never an empty extra one), one byte more.
"""

from __future__ import annotations

import base64
import hmac
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyrage  # type: ignore[import-untyped]
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from hanoi.evidence import BadRecipient, seal_file
from hanoi.evidence.age_stream import (
    CHUNK_SIZE,
    SEALED_CHUNK_SIZE,
    PayloadEncryptor,
    begin,
    header,
    hkdf,
    payload_key,
    sealed_bound,
    sealed_size,
    x25519_recipient_key,
)

KIB = 1024
EDGE_SIZES = [
    0,
    1,
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    2 * CHUNK_SIZE,
    3 * CHUNK_SIZE - 1,
    16 * CHUNK_SIZE,
    16 * CHUNK_SIZE + 7,
]

# The spec's example identity (32 bytes of 0x42) and its recipient.
SPEC_IDENTITY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
SPEC_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
SPEC_SECRET = b"\x42" * 32


def _feeds(data: bytes, piece: int | None) -> Iterator[tuple[bytes, bool]]:
    """``data`` cut in pieces of ``piece`` bytes (all at once for None), then the end."""
    step = piece or max(1, len(data))
    for start in range(0, len(data), step):
        yield data[start : start + step], False
    yield b"", True


def _feed(encryptor: PayloadEncryptor, data: bytes | memoryview, last: bool) -> bytes:
    out = bytearray(sealed_bound(len(data)))
    return bytes(out[: encryptor.feed(data, last, out)])


def _chunks(sealed: bytes) -> list[bytes]:
    """A payload cut in its sealed chunks: all full-size but the last."""
    return [sealed[i : i + SEALED_CHUNK_SIZE] for i in range(0, len(sealed), SEALED_CHUNK_SIZE)]


def _payload(key: bytes, data: bytes, piece: int | None) -> bytes:
    encryptor = PayloadEncryptor(key)
    return b"".join(_feed(encryptor, part, last) for part, last in _feeds(data, piece))


# --- the payload: STREAM chunks, nonces, the final flag -----------------------------------


@pytest.mark.parametrize("size", EDGE_SIZES)
@pytest.mark.parametrize("piece", [None, 4096, 5000, CHUNK_SIZE, 1024 * KIB])
def test_payload_chunks_follow_the_stream_construction(size: int, piece: int | None) -> None:
    key, data = os.urandom(32), os.urandom(size)
    sealed = _payload(key, data, piece)
    chunks = _chunks(sealed) or [sealed]

    assert len(sealed) == sealed_size(size)
    assert len(chunks) == max(1, -(-size // CHUNK_SIZE))
    aead = ChaCha20Poly1305(key)
    opened = []
    for counter, chunk in enumerate(chunks):
        final = counter == len(chunks) - 1
        nonce = counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
        opened.append(aead.decrypt(nonce, chunk, None))
        with pytest.raises(InvalidTag):  # the other flag must not open it
            aead.decrypt(nonce[:11] + (b"\x00" if final else b"\x01"), chunk, None)
    assert all(len(chunk) == SEALED_CHUNK_SIZE for chunk in chunks[:-1])
    assert chunks[-1] and (len(chunks[-1]) > 16 or size == 0)  # never an empty tail
    assert b"".join(opened) == data


def test_the_last_piece_may_come_with_the_end() -> None:
    key, data = os.urandom(32), os.urandom(2 * CHUNK_SIZE)
    encryptor = PayloadEncryptor(key)
    first = _feed(encryptor, data[:CHUNK_SIZE], last=False)
    assert first == b""  # held back: is it the final chunk?
    chunks = _chunks(_feed(encryptor, data[CHUNK_SIZE:], last=True))
    assert [len(chunk) for chunk in chunks] == [SEALED_CHUNK_SIZE] * 2
    assert ChaCha20Poly1305(key).decrypt((1).to_bytes(11, "big") + b"\x01", chunks[1], None)


def test_nothing_may_follow_the_end() -> None:
    encryptor = PayloadEncryptor(os.urandom(32))
    _feed(encryptor, b"data", last=True)
    with pytest.raises(ValueError, match="already finished"):
        _feed(encryptor, b"more", last=False)


def test_an_output_buffer_without_room_is_refused() -> None:
    encryptor = PayloadEncryptor(os.urandom(32))
    with pytest.raises(ValueError, match="too small"):
        encryptor.feed(bytes(CHUNK_SIZE), False, bytearray(sealed_bound(CHUNK_SIZE) - 1))


def test_fed_data_is_not_kept() -> None:
    """What is held back between calls is a copy: the caller reuses its buffers."""
    key = os.urandom(32)
    buffer = bytearray(os.urandom(CHUNK_SIZE + 10))
    expected = bytes(buffer)
    encryptor = PayloadEncryptor(key)
    sealed = _feed(encryptor, memoryview(buffer), last=False)
    buffer[:] = bytes(len(buffer))
    chunks = _chunks(sealed + _feed(encryptor, b"", last=True))
    aead = ChaCha20Poly1305(key)
    opened = [
        aead.decrypt(i.to_bytes(11, "big") + bytes([i == len(chunks) - 1]), chunk, None)
        for i, chunk in enumerate(chunks)
    ]
    assert b"".join(opened) == expected


# --- the header ---------------------------------------------------------------------------


def _b64decode(text: bytes) -> bytes:
    assert b"=" not in text and len(text) == 43
    return base64.b64decode(text + b"=")


def test_header_opens_as_the_spec_says() -> None:
    """Decrypt the file key the way an X25519 identity does, and check the header MAC."""
    recipient_key = x25519_recipient_key(SPEC_RECIPIENT)
    file_key = os.urandom(16)
    text = header(recipient_key, file_key, X25519PrivateKey.generate())

    lines = text.split(b"\n")
    assert lines[0] == b"age-encryption.org/v1"
    assert lines[1].startswith(b"-> X25519 ") and len(lines[1].split(b" ")) == 3
    assert lines[3].startswith(b"--- ") and lines[4] == b"" and len(lines) == 5
    share = _b64decode(lines[1].split(b" ")[2])
    body = _b64decode(lines[2])
    assert len(body) == 32

    identity = X25519PrivateKey.from_private_bytes(SPEC_SECRET)
    shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
    wrap_key = hkdf(shared, share + recipient_key, b"age-encryption.org/v1/X25519")
    assert ChaCha20Poly1305(wrap_key).decrypt(bytes(12), body, None) == file_key

    mac_key = hkdf(file_key, b"", b"header")
    signed = text[: text.index(b"\n---") + 4]
    assert hmac.compare_digest(_b64decode(lines[3][4:]), hmac.digest(mac_key, signed, "sha256"))


def test_every_file_gets_fresh_keys() -> None:
    recipient_key = x25519_recipient_key(SPEC_RECIPIENT)
    first, _ = begin(recipient_key)
    second, _ = begin(recipient_key)
    assert first[:22] == second[:22] == b"age-encryption.org/v1\n"
    assert first[-16:] != second[-16:]  # payload nonce
    assert first.split(b"\n")[1] != second.split(b"\n")[1]  # ephemeral share


def test_payload_key_is_hkdf_of_the_file_key_and_nonce() -> None:
    file_key, nonce = os.urandom(16), os.urandom(16)
    assert payload_key(file_key, nonce) == hkdf(file_key, nonce, b"payload")
    assert payload_key(file_key, nonce) != payload_key(file_key, os.urandom(16))


# --- recipients --------------------------------------------------------------------------


def test_the_spec_recipient_is_the_spec_identitys_public_key() -> None:
    public = X25519PrivateKey.from_private_bytes(SPEC_SECRET).public_key().public_bytes_raw()
    assert x25519_recipient_key(SPEC_RECIPIENT) == public
    assert x25519_recipient_key(SPEC_RECIPIENT.upper()) == public
    assert str(pyrage.x25519.Identity.from_str(SPEC_IDENTITY).to_public()) == SPEC_RECIPIENT


@pytest.mark.parametrize(
    "recipient",
    [
        "",
        "age1",
        SPEC_RECIPIENT[:-1] + ("q" if SPEC_RECIPIENT[-1] != "q" else "p"),  # checksum
        SPEC_RECIPIENT[:10] + SPEC_RECIPIENT[10:].upper(),  # mixed case
        "agx" + SPEC_RECIPIENT[3:],  # another human-readable part
        "age1qqqqqq",
        SPEC_IDENTITY,
        "age1" + "b" * 58,  # a character outside Bech32's alphabet
    ],
)
def test_a_malformed_recipient_is_refused(recipient: str) -> None:
    with pytest.raises(ValueError):
        x25519_recipient_key(recipient)


def _bech32(hrp: str, data: bytes) -> str:
    """Bech32 encoding (BIP 173), for a recipient that no real key would give."""
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    values, accumulator, bits = [], 0, 0
    for byte in data:
        accumulator, bits = (accumulator << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            values.append((accumulator >> bits) & 31)
    if bits:
        values.append((accumulator << (5 - bits)) & 31)
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    for value in expanded + values + [0] * 6:
        top, check = check >> 25, (check & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            check ^= generator[bit] if (top >> bit) & 1 else 0
    check ^= 1
    checksum = [(check >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(charset[v] for v in values + checksum)


def test_a_recipient_with_no_shared_secret_is_refused(tmp_path: Path) -> None:
    """The all-zero point gives an all-zero shared secret: nothing would protect the key."""
    zero = _bech32("age", bytes(32))
    assert x25519_recipient_key(zero) == bytes(32)
    source = tmp_path / "e.bin"
    source.write_bytes(b"evidence")
    with pytest.raises(BadRecipient):
        seal_file(source, zero, tmp_path / "e.age")
    assert sorted(os.listdir(tmp_path)) == ["e.bin"]


# --- whole files, decrypted by age and pyrage ------------------------------------------------


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    secret = pyrage.x25519.Identity.generate()
    path = tmp_path_factory.mktemp("identity") / "key.txt"
    path.write_text(f"{secret}\n")
    path.chmod(0o600)
    return secret, path


@pytest.mark.parametrize("size", EDGE_SIZES)
@pytest.mark.parametrize("piece", [None, 5000, CHUNK_SIZE])
def test_age_and_pyrage_decrypt_it(
    identity: tuple[object, Path], tmp_path: Path, size: int, piece: int | None
) -> None:
    secret, key_file = identity
    data = os.urandom(size)
    recipient = x25519_recipient_key(str(secret.to_public()))  # type: ignore[attr-defined]
    start, encryptor = begin(recipient)
    sealed = start + b"".join(_feed(encryptor, part, last) for part, last in _feeds(data, piece))
    assert len(sealed) == len(start) + sealed_size(size)
    out = tmp_path / "file.age"
    out.write_bytes(sealed)

    assert pyrage.decrypt(sealed, [secret]) == data
    result = subprocess.run(
        ["age", "-d", "-i", str(key_file), str(out)], capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == data


def test_a_truncated_file_is_refused_by_age_and_pyrage(
    identity: tuple[object, Path], tmp_path: Path
) -> None:
    """Dropping the final chunk leaves a file that ends without one: both must refuse it."""
    secret, key_file = identity
    recipient = x25519_recipient_key(str(secret.to_public()))  # type: ignore[attr-defined]
    start, encryptor = begin(recipient)
    chunks = _chunks(_feed(encryptor, os.urandom(2 * CHUNK_SIZE + 1), last=True))
    assert len(chunks) == 3
    truncated = start + b"".join(chunks[:-1])
    out = tmp_path / "file.age"
    out.write_bytes(truncated)

    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(truncated, [secret])
    result = subprocess.run(
        ["age", "-d", "-i", str(key_file), str(out)], capture_output=True, timeout=60, check=False
    )
    assert result.returncode != 0
