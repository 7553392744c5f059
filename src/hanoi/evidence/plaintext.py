"""One file of a package decrypted as a stream of plaintext chunks, in constant memory, with
every hash checked before the stream ends.

pyrage decrypts only from a reader into a writer (``decrypt_io``), calling back into Python
every 8 KiB; a web server pulls chunks from an iterator, the other way round. So pyrage runs
in a thread of its own and writes into a bounded queue that the iterator drains: at most
:data:`QUEUE_CHUNKS` chunks of :data:`CHUNK_SIZE` bytes wait, however large the file. When
the consumer stops early (the iterator is closed), the thread's next write raises and pyrage
gives up.

The checks, and why no hash is computed before the first byte is given out:

- age's STREAM construction authenticates every 64 KiB chunk before pyrage writes a byte of
  it, and flags the final chunk, so a damaged, reordered or truncated payload fails at the
  damaged chunk: what was given out before it is authentic plaintext as it was sealed;
- the ciphertext's SHA-256 is computed in passing over what pyrage reads (no second read of
  a file that may be many gigabytes; it was checked whole on arrival and lives in a store
  named by that hash) and compared with the manifest's at the end;
- the plaintext's size and SHA-256 are compared with the signed manifest's at the end, which
  is what a court compares with the original.

The last chunk is held back until every check passed: a stream that does not match the
manifest raises :class:`PlaintextMismatch` instead of ending, so a consumer that was told the
size (an HTTP ``Content-Length``) never sees a clean end of a wrong file.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pyrage  # type: ignore[import-untyped]

from hanoi.errors import VerificationFailed
from hanoi.evidence.errors import EvidenceError
from hanoi.evidence.manifest import ManifestFile

#: Bytes per plaintext chunk given out (pyrage writes 8 KiB at a time; fewer, larger
#: chunks cost the consumer fewer hand-overs between threads).
CHUNK_SIZE = 256 * 1024
#: Chunks that may wait between the decrypting thread and the consumer.
QUEUE_CHUNKS = 4
#: How often a decrypting thread blocked on a full queue looks whether the consumer left.
_POLL_SECONDS = 0.5

PlaintextCheck = Literal["decrypt", "size", "sha256", "ciphertext"]


class PlaintextMismatch(EvidenceError, VerificationFailed):
    """A payload that does not decrypt, or whose plaintext or ciphertext does not match the
    manifest; ``check`` names which, ``sent`` how many plaintext bytes were given out."""

    title = "Evidence file does not match its manifest"

    def __init__(self, message: str, *, check: PlaintextCheck, sent: int) -> None:
        super().__init__(message)
        self.check = check
        self.sent = sent


class _Stopped(EvidenceError):
    """Raised into pyrage when the consumer has gone: it stops decrypting (never seen
    outside this module)."""


def decrypt_stream(payload: Path, entry: ManifestFile, identity: Any) -> Iterator[bytes]:
    """The plaintext of ``payload`` (the file ``entry`` of a verified manifest), decrypted
    with the node's age ``identity`` chunk by chunk; raises :class:`PlaintextMismatch` in
    place of the last chunk if anything differs from ``entry``. The payload is opened at
    once (an error here, not at the first chunk, if it is missing)."""
    source = payload.open("rb")
    return _stream(source, entry, identity)


def _stream(source: Any, entry: ManifestFile, identity: Any) -> Iterator[bytes]:
    pipe = _Pipe()
    reader = _HashingReader(source)
    threading.Thread(
        target=pipe.run, args=(reader, identity), name=f"decrypt {entry.payload_path}", daemon=True
    ).start()
    plaintext = hashlib.sha256()
    sent = 0
    held: bytes | None = None  # the chunk given out only once the next one (or the end) came
    try:
        while True:
            item = pipe.queue.get()
            if isinstance(item, BaseException):
                raise PlaintextMismatch(
                    f"{entry.payload_path} ({entry.name}): does not decrypt ({item})",
                    check="decrypt",
                    sent=sent,
                ) from None
            if item is None:
                break
            plaintext.update(item)
            if sent + len(held or b"") + len(item) > entry.size:  # before a byte too many
                raise PlaintextMismatch(
                    f"{entry.payload_path} ({entry.name}): longer than the manifest's "
                    f"{entry.size} bytes",
                    check="size",
                    sent=sent,
                )
            if held is not None:
                sent += len(held)
                yield held
            held = item
        _check(entry, sent + len(held or b""), plaintext.hexdigest(), reader, sent)
        if held:
            yield held
    finally:
        # Not joined: a stream dropped by a server may be finalised on its event loop, which
        # must not wait. The thread sees this at its next write, stops and closes the file;
        # emptying the queue wakes it at once if it waits for room.
        pipe.stopped.set()
        with contextlib.suppress(queue.Empty):
            while True:
                pipe.queue.get_nowait()


def _check(entry: ManifestFile, size: int, digest: str, reader: _HashingReader, sent: int) -> None:
    where = f"{entry.payload_path} ({entry.name})"
    if size != entry.size:
        raise PlaintextMismatch(
            f"{where}: {size} bytes decrypted, the manifest says {entry.size}",
            check="size",
            sent=sent,
        )
    if digest != entry.sha256:
        raise PlaintextMismatch(
            f"{where}: the decrypted file does not match the manifest's SHA-256",
            check="sha256",
            sent=sent,
        )
    if reader.digest != entry.ciphertext_sha256:
        raise PlaintextMismatch(
            f"{where}: ciphertext SHA-256 does not match the manifest",
            check="ciphertext",
            sent=sent,
        )


class _HashingReader:
    """The payload as pyrage reads it (``read(n)``), hashed; :meth:`finish` reads what
    pyrage left (nothing, for a well-formed file) and sets :attr:`digest`."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._hash = hashlib.sha256()
        self.digest = ""

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.source.read(size)
        self._hash.update(data)
        return data

    def finish(self) -> None:
        while data := self.source.read(1 << 20):
            self._hash.update(data)
        self.digest = self._hash.hexdigest()


class _Pipe:
    """pyrage's writer: gathers its 8 KiB writes into chunks for the queue. The thread ends
    the queue with ``None`` (decrypted to the end) or the exception pyrage raised."""

    def __init__(self) -> None:
        self.queue: queue.Queue[bytes | BaseException | None] = queue.Queue(QUEUE_CHUNKS)
        self.stopped = threading.Event()
        self._buffer = bytearray()

    def run(self, reader: _HashingReader, identity: Any) -> None:
        try:
            pyrage.decrypt_io(reader, self, [identity])
            reader.finish()  # before the end is announced: the consumer then reads the digest
            if self._buffer:
                self._put(bytes(self._buffer))
            self._put(None)
        except _Stopped:
            pass
        except Exception as exc:  # handed to the consumer, which raises
            # pyrage says "decryption error" (an OSError) for a chunk that fails its tag, and
            # raises DecryptError for a header no identity opens.
            with contextlib.suppress(_Stopped):
                self._put(exc)
        finally:
            reader.source.close()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_SIZE:
            self._put(bytes(self._buffer))
            self._buffer.clear()
        return len(data)  # pyrage aborts the process on a short count: never return less

    def flush(self) -> None:
        pass

    def _put(self, item: bytes | BaseException | None) -> None:
        while True:
            if self.stopped.is_set():
                raise _Stopped
            try:
                self.queue.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue


__all__ = ["CHUNK_SIZE", "QUEUE_CHUNKS", "PlaintextMismatch", "decrypt_stream"]
