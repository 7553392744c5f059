"""Writing the age v1 format (https://c2sp.org/age) for one X25519 recipient, chunk by chunk.

Only encryption, and only what sealing needs: a header wrapping a fresh file key for one
``age1...`` recipient, then the payload as the STREAM construction of the spec. The output
is checked in the tests against the real ``age`` CLI and against pyrage, both of which decrypt
it; reading age files stays with pyrage.

Why not pyrage: its ``encrypt_io`` calls back into Python every 8 KiB and holds the GIL while
it encrypts, so other threads run only during those callbacks. ChaCha20-Poly1305 from
``cryptography`` (OpenSSL) encrypts about three times faster here, holds the GIL only for
one 64 KiB chunk at a time, and writes into the caller's buffer.

The format, as written here::

    age-encryption.org/v1
    -> X25519 <base64 ephemeral share>
    <base64 ChaCha20-Poly1305(wrap key, file key), nonce 12 zero bytes>
    --- <base64 HMAC-SHA-256(HKDF(file key, salt "", "header"), header up to "---")>
    <16-byte payload nonce><chunk 0>...<final chunk>

with ``wrap key = HKDF(X25519(ephemeral, recipient), salt = share || recipient,
"age-encryption.org/v1/X25519")`` and ``payload key = HKDF(file key, salt = payload nonce,
"payload")``. Each chunk is 64 KiB of plaintext sealed with the payload key and the nonce
``11-byte big-endian counter || 0x00``, ``0x01`` for the final chunk. The final chunk may be
shorter than 64 KiB but is empty only if the whole payload is; a payload that is an exact
multiple of 64 KiB therefore ends with a full final chunk, never with an empty one.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION_LINE = b"age-encryption.org/v1\n"
X25519_LABEL = b"age-encryption.org/v1/X25519"
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
FILE_KEY_SIZE = 16
PAYLOAD_NONCE_SIZE = 16

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def begin(recipient_key: bytes) -> tuple[bytes, PayloadEncryptor]:
    """Start an age file for the 32-byte X25519 ``recipient_key``.

    Returns the bytes the file starts with (header and payload nonce) and the encryptor of
    its payload. A fresh file key, ephemeral key and payload nonce are drawn every time.
    """
    file_key = os.urandom(FILE_KEY_SIZE)
    nonce = os.urandom(PAYLOAD_NONCE_SIZE)
    start = header(recipient_key, file_key, X25519PrivateKey.generate()) + nonce
    return start, PayloadEncryptor(payload_key(file_key, nonce))


def header(recipient_key: bytes, file_key: bytes, ephemeral: X25519PrivateKey) -> bytes:
    """The textual header wrapping ``file_key`` for one X25519 recipient, MAC line included.

    Raises :class:`ValueError` for a recipient key that gives an all-zero shared secret.
    """
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_key))
    wrap_key = hkdf(shared, share + recipient_key, X25519_LABEL)
    body = ChaCha20Poly1305(wrap_key).encrypt(bytes(12), file_key, None)
    # Both encode to 43 characters: one argument, and a body that is its own final line.
    text = VERSION_LINE + b"-> X25519 " + _b64(share) + b"\n" + _b64(body) + b"\n---"
    mac = hmac.digest(hkdf(file_key, b"", b"header"), text, "sha256")
    return text + b" " + _b64(mac) + b"\n"


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    return hkdf(file_key, nonce, b"payload")


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 to 32 bytes (an empty salt is the same as no salt)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


class PayloadEncryptor:
    """The STREAM payload: plaintext fed in pieces of any size, sealed 64 KiB at a time.

    Up to one chunk is held back between calls, because whether it is the final chunk is
    known only when more plaintext arrives or :meth:`feed` is told ``last``. Sealed chunks
    are written straight into the caller's buffer (``encrypt_into``): nothing is allocated
    per chunk, which at this rate would have the allocator give memory back to the system
    and fault it in again for every megabyte.
    """

    def __init__(self, key: bytes) -> None:
        self._aead = ChaCha20Poly1305(key)
        self._counter = 0
        self._held = bytearray(CHUNK_SIZE)
        self._held_size = 0
        self._finished = False

    def feed(self, data: memoryview | bytes, last: bool, out: memoryview | bytearray) -> int:
        """Seal what ``data`` completes into ``out``, in order, and return the bytes written.

        With ``last``, everything still held is sealed too, as the final chunk. ``out``
        needs room for :func:`sealed_bound` of ``len(data)``. ``data`` is not kept: what is
        held back is copied. After ``last`` nothing more may be fed.
        """
        if self._finished:
            raise ValueError("the payload is already finished")
        if len(out) < sealed_bound(len(data)):
            raise ValueError("the output buffer is too small")
        written = 0
        held = self._held
        position, size = 0, len(data)
        if self._held_size and size:
            take = min(CHUNK_SIZE - self._held_size, size)
            held[self._held_size : self._held_size + take] = data[:take]
            self._held_size += take
            position = take
            if self._held_size == CHUNK_SIZE and position < size:  # more follows: not final
                written += self._seal(held, out, written, final=False)
                self._held_size = 0
        if not self._held_size:
            while size - position > CHUNK_SIZE:
                chunk = data[position : position + CHUNK_SIZE]
                written += self._seal(chunk, out, written, final=False)
                position += CHUNK_SIZE
            rest = size - position
            held[:rest] = data[position:]
            self._held_size = rest
        if last:
            # Empty only if nothing at all was fed: every non-empty feed leaves bytes held.
            with memoryview(held) as view:
                written += self._seal(view[: self._held_size], out, written, final=True)
            self._held_size = 0
            self._finished = True
        return written

    def _seal(
        self,
        chunk: memoryview | bytes | bytearray,
        out: memoryview | bytearray,
        at: int,
        *,
        final: bool,
    ) -> int:
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
        self._counter += 1
        size = len(chunk) + TAG_SIZE
        with memoryview(out) as view:
            self._aead.encrypt_into(nonce, chunk, None, view[at : at + size])
        return size


def sealed_bound(size: int) -> int:
    """Room enough for what one :meth:`PayloadEncryptor.feed` of ``size`` bytes writes:
    up to the 64 KiB held from before and the final chunk, so two chunks more."""
    return (size // CHUNK_SIZE + 2) * SEALED_CHUNK_SIZE


def sealed_size(plaintext_size: int) -> int:
    """Size of the payload after its nonce: every chunk grows by its tag, and an empty
    payload is one empty final chunk."""
    chunks = max(1, -(-plaintext_size // CHUNK_SIZE))
    return plaintext_size + chunks * TAG_SIZE


def x25519_recipient_key(recipient: str) -> bytes:
    """The 32-byte public key inside an ``age1...`` recipient (Bech32, checksum checked)."""
    if recipient != recipient.lower() and recipient != recipient.upper():
        raise ValueError("mixed case")
    text = recipient.lower()
    separator = text.rfind("1")
    hrp, rest = text[:separator], text[separator + 1 :]
    if hrp != "age" or len(rest) < 6 or any(c not in _BECH32 for c in rest):
        raise ValueError("not an age recipient")
    values = [_BECH32.index(c) for c in rest]
    if _bech32_polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values) != 1:
        raise ValueError("bad checksum")
    key = _five_to_eight(values[:-6])
    if len(key) != 32:
        raise ValueError("not a 32-byte key")
    return key


def _bech32_polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_BECH32_GENERATOR):
            if (top >> bit) & 1:
                check ^= generator
    return check


def _five_to_eight(values: list[int]) -> bytes:
    accumulator = bits = 0
    out = bytearray()
    for value in values:
        accumulator = (accumulator << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        raise ValueError("bad padding")
    return bytes(out)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


__all__ = [
    "CHUNK_SIZE",
    "SEALED_CHUNK_SIZE",
    "TAG_SIZE",
    "PayloadEncryptor",
    "begin",
    "header",
    "hkdf",
    "payload_key",
    "sealed_bound",
    "sealed_size",
    "x25519_recipient_key",
]
