"""Seal one file: read it once, hash it, age-encrypt it, hash the ciphertext.

The file is read exactly once and every byte read is both hashed and encrypted, so the
plaintext hash always describes the very bytes inside the ciphertext, even if someone
writes to the file meanwhile. Whether the file *stayed* the same is checked separately: its
size, mtime, ctime and inode before and after must agree (:class:`SourceChanged`
otherwise). A same-length rewrite inside one tick of the filesystem clock cannot be seen by
``stat``; nothing short of a second read could, and sealing reads once.

Memory stays constant: a few chunk buffers that are reused, plus pyrage's 64 KiB chunk.

Threads: a reader thread reads and hashes the plaintext (``os.readv`` and ``hashlib``
release the GIL) and hands chunks over a bounded pool to ``pyrage.encrypt_io`` running in
the caller's thread, which hashes and writes the ciphertext. ``encrypt_io`` holds the GIL
while it encrypts and lets go only inside our read/write callbacks, which it calls every
8 KiB. Other threads still get their turn there, but each turn they take stalls those
callbacks: a busy Python thread beside a seal slows the seal many times over. Seal in a
worker process (or at least away from busy threads), never on an event loop.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyrage  # type: ignore[import-untyped]

from hanoi.evidence.errors import (
    BadRecipient,
    EncryptionFailed,
    NotRegularFile,
    SealOutputError,
    SourceChanged,
    SymlinkSource,
    UnreadableSource,
    shown,
)

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
    bytes handed to the encryption so far, once per chunk.
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
        with _NewFile(out) as new:
            sealed = _seal(opened, age_recipient, _FdSink(new.fd, out), chunk_size, progress)
            new.commit()
        return sealed


# --- the source --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSource:
    """A regular file opened for reading without following links, and its stat then."""

    path: Path
    fd: int
    before: os.stat_result

    def check_unchanged(self, bytes_read: int) -> None:
        """Raise :class:`SourceChanged` unless the file still is what it was when opened.

        Compares the open file's size, mtime and ctime, checks that the path still names
        the same inode (not replaced by a rename), and that we read exactly its size.
        """
        now = os.fstat(self.fd)
        if _fingerprint(now) != _fingerprint(self.before):
            raise SourceChanged(self.path, "changed while it was being read: not sealed")
        try:
            named = os.stat(self.path, follow_symlinks=False)
        except OSError:
            named = None
        if named is None or (named.st_dev, named.st_ino) != (now.st_dev, now.st_ino):
            raise SourceChanged(self.path, "was moved or replaced while it was being read")
        if bytes_read != self.before.st_size:
            raise SourceChanged(
                self.path,
                f"gave {bytes_read} bytes but is {self.before.st_size} bytes long: not sealed",
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
            raise SymlinkSource(path, "is a symbolic link: give the file itself") from None
        raise _unreadable(path, exc) from None
    try:
        before = os.fstat(fd)
        _require_regular(path, before.st_mode)
        if (before.st_dev, before.st_ino) != (named.st_dev, named.st_ino):
            raise SourceChanged(path, "was replaced while it was being opened")
        with contextlib.suppress(OSError):  # only a hint to the kernel's read-ahead
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        yield OpenedSource(path, fd, before)
    finally:
        os.close(fd)


def _require_regular(path: Path, mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise SymlinkSource(path, "is a symbolic link: give the file itself")
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, f"is {_kind(mode)}, not a regular file")


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


def _unreadable(path: Path, exc: OSError) -> UnreadableSource:
    if isinstance(exc, FileNotFoundError):
        return UnreadableSource(path, "does not exist")
    if isinstance(exc, PermissionError):
        return UnreadableSource(path, "cannot be read: permission denied")
    return UnreadableSource(path, f"cannot be read: {exc.strerror or exc}")


# --- the pipeline ------------------------------------------------------------------------


def _seal(
    source: OpenedSource,
    recipient: Any,
    sink: _Sink,
    chunk_size: int,
    progress: Progress | None,
) -> SealedFile:
    plaintext = _Plaintext(source, chunk_size, progress)
    try:
        pyrage.encrypt_io(plaintext, sink, [recipient])
    except pyrage.EncryptError as exc:
        # pyrage flattens an exception raised in our callbacks into EncryptError("Type:
        # message"); the original is kept aside so that it, not pyrage's text, is raised.
        failure = plaintext.failure or sink.failure
        if failure is not None:
            raise failure from None
        raise EncryptionFailed(f"age encryption failed: {_one_line(exc)}") from None
    finally:
        plaintext.close()
    if plaintext.failure is not None:  # pyrage reports callback errors; never trust silence
        raise plaintext.failure
    source.check_unchanged(plaintext.size)
    return SealedFile(
        plaintext_sha256=plaintext.sha256.hexdigest(),
        plaintext_size=plaintext.size,
        ciphertext_sha256=sink.sha256.hexdigest(),
        ciphertext_size=sink.size,
        recipient=str(recipient),
    )


class _Plaintext:
    """The reader pyrage pulls from: chunks read and hashed by a thread of their own.

    ``CHUNKS_IN_FLIGHT`` buffers circulate between the reader thread (fills one with
    ``os.readv``, hashes it) and pyrage (takes 8 KiB slices of it), so memory is bounded
    and nothing is allocated per chunk.

    Why this overlaps at all although pyrage holds the GIL: the reader thread needs the
    GIL only for a few bytecodes per chunk, and gets it whenever the caller's thread
    leaves pyrage to hash or write 64 KiB of ciphertext (both release the GIL); it then
    spends the chunk's read and hash outside the GIL, beside pyrage. Moving the
    ciphertext hash to a third thread was tried and is no faster: nothing would then
    release the GIL but pyrage's rare forced switches.
    """

    def __init__(self, source: OpenedSource, chunk_size: int, progress: Progress | None) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0  # bytes read, counted by the reader thread
        self.failure: BaseException | None = None
        self._source = source
        self._progress = progress
        self._free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[bytearray, int] | BaseException] = queue.SimpleQueue()
        for _ in range(CHUNKS_IN_FLIGHT):
            self._free.put(bytearray(chunk_size))
        self._chunk = memoryview(b"")
        self._buffer: bytearray | None = None
        self._position = 0
        self._handed = 0
        self._eof = False
        self._thread = threading.Thread(target=self._fill, name="hanoi-seal-read", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        try:
            while (buffer := self._free.get()) is not None:
                count = os.readv(self._source.fd, [buffer])
                if count:
                    self.sha256.update(memoryview(buffer)[:count])
                    self.size += count
                self._full.put((buffer, count))
                if count == 0:
                    return
        except OSError as exc:
            self._full.put(_unreadable(self._source.path, exc))
        except BaseException as exc:  # handed over so the caller's thread raises it
            self._full.put(exc)

    def read(self, size: int = -1) -> bytes:
        try:
            if self._position >= len(self._chunk) and not self._next_chunk():
                return b""
            start = self._position
            end = len(self._chunk) if size < 0 else min(len(self._chunk), start + size)
            self._position = end
            return bytes(self._chunk[start:end])
        except BaseException as exc:
            self.failure = self.failure or exc
            raise

    def _next_chunk(self) -> bool:
        if self._eof:
            return False
        if self._buffer is not None:
            self._chunk.release()
            self._free.put(self._buffer)
            self._buffer = None
        item = self._full.get()
        if isinstance(item, BaseException):
            self._eof = True
            raise item
        buffer, count = item
        if count == 0:
            self._eof = True
            return False
        self._buffer, self._chunk, self._position = buffer, memoryview(buffer)[:count], 0
        self._handed += count
        if self._progress is not None:
            self._progress(self._handed)
        return True

    def close(self) -> None:
        """Stop the reader thread (it may be waiting for a free buffer) and wait for it."""
        self._free.put(None)
        self._thread.join()


class _Sink:
    """The writer pyrage pushes ciphertext into: hashes and counts it, writes all of it.

    pyrage needs ``write`` to return exactly ``len(data)``: a short count makes the Rust
    side panic and abort the whole interpreter, so every byte is written here, in a loop.
    """

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.failure: BaseException | None = None

    def write(self, data: bytes) -> int:
        try:
            self._write_all(memoryview(data))
        except BaseException as exc:
            self.failure = self.failure or exc
            raise
        self.sha256.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """pyrage does not call it; present because file-like objects have one."""

    def _write_all(self, data: memoryview) -> None:
        raise NotImplementedError


class _FdSink(_Sink):
    def __init__(self, fd: int, path: Path) -> None:
        super().__init__()
        self._fd = fd
        self._path = path

    def _write_all(self, data: memoryview) -> None:
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            raise SealOutputError(
                f"cannot write {shown(self._path)}: {exc.strerror or exc}"
            ) from None


class _StreamSink(_Sink):
    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream

    def _write_all(self, data: memoryview) -> None:
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


class _NewFile:
    """A file that appears under ``path`` only on :meth:`commit`, complete and on disk.

    Written as a hidden temporary file beside ``path`` (same filesystem), fsynced, then
    hard-linked to ``path``, which fails rather than replace an existing file, and the
    folder is fsynced. On any error the temporary file is removed: no half-written file is
    ever left under a name that looks complete.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fd, name = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
        except OSError as exc:
            raise SealOutputError(f"cannot write in {shown(path.parent)}: {_reason(exc)}") from None
        self._temporary = Path(name)

    def __enter__(self) -> _NewFile:
        return self

    def commit(self) -> None:
        try:
            os.fsync(self.fd)
            os.link(self._temporary, self.path)
            os.unlink(self._temporary)
            fsync_dir(self.path.parent)
        except FileExistsError:
            raise SealOutputError(f"{shown(self.path)} already exists: not replaced") from None
        except OSError as exc:
            raise SealOutputError(f"cannot write {shown(self.path)}: {_reason(exc)}") from None

    def __exit__(self, *exc_info: object) -> None:
        os.close(self.fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temporary)


def fsync_dir(path: Path) -> None:
    """Make a rename or link inside ``path`` durable (the folder's entry is data too)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refuse_existing(path: Path) -> None:
    """Fail before reading gigabytes if the output name is taken (checked again at the end)."""
    if os.path.lexists(path):
        raise SealOutputError(f"{shown(path)} already exists: not replaced")
    if not path.parent.is_dir():
        raise SealOutputError(f"{shown(path.parent)} is not a folder")


# --- helpers -----------------------------------------------------------------------------


def _parse_recipient(recipient: str) -> Any:
    """An age X25519 recipient, nothing else: no SSH keys, plugins or passphrases."""
    text = recipient if isinstance(recipient, str) else ""
    try:
        return pyrage.x25519.Recipient.from_str(text)
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
    "fsync_dir",
    "open_source",
    "seal_file",
]
