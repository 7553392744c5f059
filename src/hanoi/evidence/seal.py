"""Seal one file: read it once, hash it, age-encrypt it, hash the ciphertext.

The file is read exactly once and every byte read is both hashed and encrypted, so the
plaintext hash always describes the very bytes inside the ciphertext, even if someone
writes to the file meanwhile. Whether the file *stayed* the same is checked separately: its
size, mtime, ctime and inode before and after must agree (else :class:`SourceError`,
``check="changed"``). A same-length rewrite inside one tick of the filesystem clock cannot
be seen by ``stat``; nothing short of a second read could, and sealing reads once.

The age file is written by :mod:`hanoi.evidence.age_stream` (the age v1 format for one
X25519 recipient, checked against the ``age`` CLI and pyrage in the tests); pyrage only
parses the recipient here.

Threads, so that the three costly steps run side by side on two cores: a reader thread
reads and hashes the plaintext; the caller's thread seals it, 64 KiB chunk by chunk
(ChaCha20-Poly1305 holds the GIL for about 25 µs a chunk); a writer thread hashes and
writes the ciphertext. ``os.readv``, ``os.write`` and ``hashlib`` on large buffers release
the GIL, so hashing, reading and writing overlap the encryption. Each side hands buffers
over through a pool of ``CHUNKS_IN_FLIGHT``, so memory stays constant: eight buffers of
about ``chunk_size`` and one 64 KiB chunk held back, whatever the size of the file. The
three threads still need the GIL for a moment between steps, so a busy Python thread beside
a seal (which keeps the GIL 5 ms at a time) slows it down: seal in a worker process, or at
least away from busy threads, and never on an event loop.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage  # type: ignore[import-untyped]

from hanoi.evidence import age_stream
from hanoi.evidence.errors import (
    BadRecipient,
    SealOutputError,
    SourceError,
    shown,
)
from hanoi.files import StagedFile

DEFAULT_CHUNK_SIZE = 1 << 20
MIN_CHUNK_SIZE = 4096
CHUNKS_IN_FLIGHT = 4

Progress = Callable[[int], None]


@dataclass(frozen=True)
class SealedFile:
    """What sealing one file produced: both hashes are lower-case hex SHA-256."""

    plaintext_sha256: str
    plaintext_size: int
    ciphertext_sha256: str
    ciphertext_size: int
    recipient: str


def seal_file(
    source: Path,
    recipient: str,
    out: BinaryIO | Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> SealedFile:
    """Encrypt ``source`` to the age X25519 ``recipient`` into ``out``, hashing both sides.

    ``out`` as a :class:`Path` is written through a temporary file in the same folder that
    appears under its name only once everything succeeded and is on disk; an existing file
    is never replaced. ``out`` as an open binary stream is written as is and flushed; on an
    error what was written stays there, and discarding it is the caller's business.

    ``progress``, if given, is called in the caller's thread with the number of plaintext
    bytes encrypted so far, once per chunk of ``chunk_size`` bytes read.
    """
    age_recipient = _parse_recipient(recipient)
    if chunk_size < MIN_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be at least {MIN_CHUNK_SIZE} bytes")
    if isinstance(out, str | os.PathLike):
        out = Path(out)
        _refuse_existing(out)
    with open_source(Path(source)) as opened:
        if not isinstance(out, Path):
            sealed = _seal(opened, age_recipient, _StreamSink(out), chunk_size, progress)
            _flush(out)
            return sealed
        try:
            staged = StagedFile(out)
        except OSError as exc:
            raise SealOutputError(f"cannot write in {shown(out.parent)}: {_reason(exc)}") from None
        with staged:
            sealed = _seal(opened, age_recipient, _FdSink(staged.fd, out), chunk_size, progress)
            _name_output(staged)
        return sealed


# --- the source --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSource:
    """A regular file opened for reading without following links, and its stat then."""

    path: Path
    fd: int
    before: os.stat_result

    def check_unchanged(self, bytes_read: int) -> None:
        """Raise :class:`SourceError` (``check="changed"``) unless the file still is what it
        was when opened.

        Compares the open file's size, mtime and ctime, checks that the path still names
        the same inode (not replaced by a rename), and that we read exactly its size.
        """
        now = os.fstat(self.fd)
        if _fingerprint(now) != _fingerprint(self.before):
            raise SourceError(
                self.path, "changed while it was being read: not sealed", check="changed"
            )
        try:
            named = os.stat(self.path, follow_symlinks=False)
        except OSError:
            named = None
        if named is None or (named.st_dev, named.st_ino) != (now.st_dev, now.st_ino):
            raise SourceError(
                self.path, "was moved or replaced while it was being read", check="changed"
            )
        if bytes_read != self.before.st_size:
            raise SourceError(
                self.path,
                f"gave {bytes_read} bytes but is {self.before.st_size} bytes long: not sealed",
                check="changed",
            )


@contextlib.contextmanager
def open_source(path: Path) -> Iterator[OpenedSource]:
    """Open ``path`` for one sequential read, refusing links and anything not a regular file.

    The checks run on the path (``lstat``) for a precise message, then again on the open
    descriptor, so a file swapped in between the two is caught too.
    """
    try:
        named = os.stat(path, follow_symlinks=False)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    _require_regular(path, named.st_mode)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError(
                path, "is a symbolic link: give the file itself", check="symlink"
            ) from None
        raise _unreadable(path, exc) from None
    try:
        before = os.fstat(fd)
        _require_regular(path, before.st_mode)
        if (before.st_dev, before.st_ino) != (named.st_dev, named.st_ino):
            raise SourceError(path, "was replaced while it was being opened", check="changed")
        with contextlib.suppress(OSError):  # only a hint to the kernel's read-ahead
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        yield OpenedSource(path, fd, before)
    finally:
        os.close(fd)


def _require_regular(path: Path, mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise SourceError(path, "is a symbolic link: give the file itself", check="symlink")
    if not stat.S_ISREG(mode):
        raise SourceError(path, f"is {_kind(mode)}, not a regular file", check="not-regular")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _fingerprint(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _unreadable(path: Path, exc: OSError) -> SourceError:
    if isinstance(exc, FileNotFoundError):
        return SourceError(path, "does not exist", check="unreadable")
    if isinstance(exc, PermissionError):
        return SourceError(path, "cannot be read: permission denied", check="unreadable")
    return SourceError(path, f"cannot be read: {exc.strerror or exc}", check="unreadable")


# --- the pipeline ------------------------------------------------------------------------


def _seal(
    source: OpenedSource,
    recipient: str,
    sink: _Sink,
    chunk_size: int,
    progress: Progress | None,
) -> SealedFile:
    try:
        start, payload = age_stream.begin(age_stream.x25519_recipient_key(recipient))
    except ValueError:  # a key whose shared secret is all zeros
        raise BadRecipient(f"{recipient[:80]!r} is not a usable age X25519 recipient") from None
    plaintext = _Plaintext(source, chunk_size)
    ciphertext = _Ciphertext(sink, chunk_size)
    try:
        buffer = ciphertext.buffer()
        buffer[: len(start)] = start
        ciphertext.send(buffer, len(start))
        handed = 0
        while (chunk := plaintext.next()) is not None:
            buffer = ciphertext.buffer()
            ciphertext.send(buffer, payload.feed(chunk, False, buffer))
            handed += len(chunk)
            if progress is not None:
                progress(handed)
        buffer = ciphertext.buffer()
        ciphertext.send(buffer, payload.feed(b"", True, buffer))
        ciphertext.finish()
    finally:
        plaintext.close()
        ciphertext.close()
    source.check_unchanged(plaintext.size)
    return SealedFile(
        plaintext_sha256=plaintext.sha256.hexdigest(),
        plaintext_size=plaintext.size,
        ciphertext_sha256=ciphertext.sha256.hexdigest(),
        ciphertext_size=ciphertext.size,
        recipient=recipient,
    )


class _Plaintext:
    """The source's chunks, read and hashed by a thread of their own.

    ``CHUNKS_IN_FLIGHT`` buffers circulate between the reader thread (fills one with
    ``os.readv``, hashes it) and the caller's thread (encrypts it, hands it back), so
    memory is bounded and nothing is allocated per chunk.
    """

    def __init__(self, source: OpenedSource, chunk_size: int) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0  # bytes read, counted by the reader thread
        self._source = source
        self._free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[bytearray, int] | BaseException] = queue.SimpleQueue()
        for _ in range(CHUNKS_IN_FLIGHT):
            self._free.put(bytearray(chunk_size))
        self._buffer: bytearray | None = None  # the caller's chunk, lent until the next
        self._chunk = memoryview(b"")
        self._eof = False
        self._thread = threading.Thread(target=self._fill, name="hanoi-seal-read", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        try:
            while (buffer := self._free.get()) is not None:
                count = os.readv(self._source.fd, [buffer])
                if count:
                    with memoryview(buffer) as view:
                        self.sha256.update(view[:count])
                    self.size += count
                self._full.put((buffer, count))
                if count == 0:
                    return
        except OSError as exc:
            self._full.put(_unreadable(self._source.path, exc))
        except BaseException as exc:  # handed over so the caller's thread raises it
            self._full.put(exc)

    def next(self) -> memoryview | None:
        """The next chunk read and hashed, or ``None`` at the end of the file.

        The chunk before is given back to the reader thread: it must not be used any more.
        """
        if self._buffer is not None:
            self._chunk.release()
            self._free.put(self._buffer)
            self._buffer = None
        if self._eof:
            return None
        item = self._full.get()
        if isinstance(item, BaseException):
            self._eof = True
            raise item
        buffer, count = item
        if count == 0:
            self._eof = True
            return None
        self._buffer, self._chunk = buffer, memoryview(buffer)[:count]
        return self._chunk

    def close(self) -> None:
        """Stop the reader thread (it may be waiting for a free buffer) and wait for it."""
        self._free.put(None)
        self._thread.join()


class _Ciphertext:
    """The age file's bytes, hashed and written by a thread of their own.

    The caller's thread takes one of ``CHUNKS_IN_FLIGHT`` buffers, seals chunks into it
    and sends it; the writer thread hashes it, writes all of it (a short write is carried
    on, never dropped) and hands it back. After a failed write the thread only hands
    buffers back, and the failure is raised in the caller's thread at its next
    :meth:`buffer` or at :meth:`finish`.
    """

    def __init__(self, sink: _Sink, chunk_size: int) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0  # bytes written, counted by the writer thread
        self.failure: BaseException | None = None
        self._sink = sink
        capacity = age_stream.sealed_bound(chunk_size)  # more than the header too
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
        for _ in range(CHUNKS_IN_FLIGHT):
            self._free.put(bytearray(capacity))
        self._closed = False
        self._thread = threading.Thread(target=self._drain, name="hanoi-seal-write", daemon=True)
        self._thread.start()

    def buffer(self) -> bytearray:
        """A free buffer to fill (waits while all are being written); raises a failed
        write's error instead."""
        if self.failure is not None:
            raise self.failure
        return self._free.get()

    def send(self, buffer: bytearray, count: int) -> None:
        """Hand the first ``count`` bytes of ``buffer`` over, to be hashed and written."""
        self._full.put((buffer, count))

    def _drain(self) -> None:
        while (item := self._full.get()) is not None:
            buffer, count = item
            if self.failure is None:
                try:
                    with memoryview(buffer) as view, view[:count] as data:
                        self.sha256.update(data)
                        self._sink.write_all(data)
                        self.size += count
                except BaseException as exc:  # raised in the caller's thread
                    self.failure = exc
            self._free.put(buffer)

    def finish(self) -> None:
        """Wait until everything sent is written; raise the write's failure if one failed."""
        self.close()
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._full.put(None)
            self._thread.join()


class _Sink:
    """Where the ciphertext goes: :meth:`write_all` writes every byte or raises."""

    def write_all(self, data: memoryview) -> None:
        raise NotImplementedError


class _FdSink(_Sink):
    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self._path = path

    def write_all(self, data: memoryview) -> None:
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            raise SealOutputError(
                f"cannot write {shown(self._path)}: {exc.strerror or exc}"
            ) from None


class _StreamSink(_Sink):
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write_all(self, data: memoryview) -> None:
        try:
            while data:
                written = self._stream.write(data)
                if not isinstance(written, int) or written <= 0:
                    raise SealOutputError("the output stream accepted nothing: not sealed")
                data = data[written:]
        except OSError as exc:
            raise SealOutputError(f"cannot write the output: {_reason(exc)}") from None


def _flush(stream: BinaryIO) -> None:
    try:
        stream.flush()
    except OSError as exc:
        raise SealOutputError(f"cannot flush the output: {exc.strerror or exc}") from None


# --- the output file ---------------------------------------------------------------------


def _name_output(staged: StagedFile) -> None:
    """Give the finished output its name: synced to disk, hard-linked to its name (which
    fails rather than replace an existing file), the folder synced. Until then it is a
    hidden temporary file, removed on any error: no half-written file is ever left under
    a name that looks complete."""
    try:
        staged.commit(replace=False)
    except FileExistsError:
        raise SealOutputError(f"{shown(staged.target)} already exists: not replaced") from None
    except OSError as exc:
        raise SealOutputError(f"cannot write {shown(staged.target)}: {_reason(exc)}") from None


def _refuse_existing(path: Path) -> None:
    """Fail before reading gigabytes if the output name is taken (checked again at the end)."""
    if os.path.lexists(path):
        raise SealOutputError(f"{shown(path)} already exists: not replaced")
    if not path.parent.is_dir():
        raise SealOutputError(f"{shown(path.parent)} is not a folder")


# --- helpers -----------------------------------------------------------------------------


def _parse_recipient(recipient: str) -> str:
    """An age X25519 recipient, nothing else: no SSH keys, plugins or passphrases.

    Checked by pyrage's parser as well as ours, and given back as pyrage spells it.
    """
    text = recipient if isinstance(recipient, str) else ""
    try:
        canonical = str(pyrage.x25519.Recipient.from_str(text))
        age_stream.x25519_recipient_key(canonical)
        return canonical
    except (pyrage.RecipientError, ValueError, TypeError):
        raise BadRecipient(f"{text[:80]!r} is not an age X25519 recipient (age1...)") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or _one_line(exc)


def _one_line(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]


__all__ = [
    "CHUNKS_IN_FLIGHT",
    "DEFAULT_CHUNK_SIZE",
    "OpenedSource",
    "SealedFile",
    "open_source",
    "seal_file",
]
