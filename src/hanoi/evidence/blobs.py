"""A content-addressed store of files on disk: each blob is named by its SHA-256.

Layout under ``root`` (the node uses ``$HANOI_HOME/blobs``), folders 0700, files 0600::

    ab/cdef...            the blob whose SHA-256 is ``abcdef...`` (62 more hex digits)
    .put-XXXXXXXX.tmp     a blob being written (left behind only by a crash)

A blob is written to a temporary file while it is hashed, fsynced, then hard-linked under
its name and the folder fsynced, so a blob under its name is always complete. The link
never replaces a file: the same content offered twice is stored once and the first copy is
kept. Digests from outside are checked to be 64 lower-case hex digits before they become a
path, so no digest can point outside the store.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import Protocol

from hanoi.evidence.errors import (
    BlobDamaged,
    BlobError,
    BlobMissing,
    DigestMismatch,
    InvalidDigest,
    SourceError,
    shown,
)
from hanoi.evidence.seal import open_source
from hanoi.files import PRIVATE_FILE_MODE, fsync_dir, private_dir

BUFFER_SIZE = 1 << 20
TEMPORARY_PREFIX = ".put-"
TEMPORARY_SUFFIX = ".tmp"

_DIGEST = re.compile(r"[0-9a-f]{64}")
_FANOUT = re.compile(r"[0-9a-f]{2}")
_REST = re.compile(r"[0-9a-f]{62}")


class Readable(Protocol):
    """Anything with ``readinto`` (open files, ``BytesIO``, sockets' makefile)."""

    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


@dataclass(frozen=True)
class FsckReport:
    """What :meth:`BlobStore.fsck` found. Nothing is ever deleted or repaired."""

    checked: int = 0
    bytes_checked: int = 0
    damaged: tuple[Path, ...] = ()
    strays: tuple[Path, ...] = ()
    misnamed: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.damaged or self.strays or self.misnamed)


class BlobStore:
    """The blobs under ``root``; the folder is made on the first :meth:`put_stream`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- writing ---------------------------------------------------------------------------

    def put_stream(self, reader: Readable, expected_sha256: str | None = None) -> str:
        """Store everything ``reader`` gives until its end; return the SHA-256 (hex).

        With ``expected_sha256``, content with another hash raises :class:`DigestMismatch`
        and nothing is stored.
        """
        return self._put(reader, expected_sha256, lambda: None)

    def put_file(self, path: Path, expected_sha256: str | None = None) -> str:
        """Store a copy of the regular file ``path`` (links and special files refused).

        The file must not change while it is copied (:class:`SourceError`,
        ``check="changed"``) and, with ``expected_sha256``, must have that hash
        (:class:`DigestMismatch`); otherwise nothing is stored.
        """
        with open_source(Path(path)) as source, open(source.fd, "rb", closefd=False) as f:
            counted = _Counting(f, source.path)
            return self._put(
                counted, expected_sha256, lambda: source.check_unchanged(counted.count)
            )

    def adopt(self, path: Path, expected_sha256: str) -> str:
        """Move the finished file ``path`` (on the same file system) into the store, if its
        content has ``expected_sha256``; else :class:`DigestMismatch` and ``path`` stays.

        For uploads that arrive piece by piece: renaming saves copying many gigabytes.
        """
        expected = check_digest(expected_sha256)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise BlobError(f"cannot open {shown(path)}: {exc.strerror or exc}") from None
        try:
            with open(fd, "rb", closefd=False) as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            if digest != expected:
                raise DigestMismatch(
                    f"content has SHA-256 {digest}, not the expected {expected}: not stored"
                )
            os.fchmod(fd, PRIVATE_FILE_MODE)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._make_dir(self.root)
        try:
            self._link(Path(path), digest)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise BlobError(f"cannot store {shown(path)}: {exc.strerror or exc}") from None
            return self.put_file(Path(path), expected)  # another file system: copy instead
        os.unlink(path)
        return digest

    def _put(self, reader: Readable, expected_sha256: str | None, check: Callable[[], None]) -> str:
        """Copy into a temporary file while hashing; ``check`` runs before the blob is named."""
        expected = None if expected_sha256 is None else check_digest(expected_sha256)
        self._make_dir(self.root)
        fd, name = tempfile.mkstemp(dir=self.root, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX)
        temporary = Path(name)
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            digest = _copy_hashing(reader, fd, temporary)
            if expected is not None and digest != expected:
                raise DigestMismatch(
                    f"content has SHA-256 {digest}, not the expected {expected}: not stored"
                )
            check()
            os.fsync(fd)
            self._link(temporary, digest)
            return digest
        finally:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def _link(self, temporary: Path, digest: str) -> None:
        folder = self.root / digest[:2]
        if not folder.is_dir():
            self._make_dir(folder)
            fsync_dir(self.root)
        with contextlib.suppress(FileExistsError):  # the same content is already stored
            os.link(temporary, folder / digest[2:])
        fsync_dir(folder)

    @staticmethod
    def _make_dir(path: Path) -> None:
        try:
            private_dir(path)
        except OSError as exc:
            raise BlobError(
                f"cannot make the folder {shown(path)}: {exc.strerror or exc}"
            ) from None

    # --- reading ---------------------------------------------------------------------------

    def has(self, digest: str) -> bool:
        return _is_plain_file(self._location(digest))

    def path(self, digest: str) -> Path:
        """Where the blob ``digest`` is; :class:`BlobMissing` if it is not stored."""
        location = self._location(digest)
        if not _is_plain_file(location):
            raise BlobMissing(f"no blob {digest} in {shown(self.root)}")
        return location

    def open(self, digest: str) -> BufferedReader:
        """The blob ``digest`` opened for reading (binary); :class:`BlobMissing` if absent."""
        location = self._location(digest)
        try:
            fd = os.open(location, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            raise BlobMissing(f"no blob {digest} in {shown(self.root)}") from None
        except OSError as exc:
            raise BlobError(f"cannot open blob {digest}: {exc.strerror or exc}") from None
        return open(fd, "rb")

    def verify(self, digest: str) -> None:
        """Re-hash one blob: :class:`BlobDamaged` if its content no longer matches its name."""
        with self.open(digest) as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
        if actual != digest:
            raise BlobDamaged(f"blob {digest} is damaged: its content has SHA-256 {actual}")

    def _location(self, digest: str) -> Path:
        digest = check_digest(digest)
        return self.root / digest[:2] / digest[2:]

    # --- checking everything ---------------------------------------------------------------

    def fsck(self) -> FsckReport:
        """Re-hash every blob (constant memory) and list what does not belong.

        Damaged: content that does not hash to its name. Strays: temporary files left by an
        interrupted write. Misnamed: anything else (wrong names, links, folders where files
        belong). Links are never followed and nothing is changed.
        """
        if not self.root.is_dir():
            raise BlobError(f"no blob store at {shown(self.root)}")
        checked = size = 0
        damaged: list[Path] = []
        strays: list[Path] = []
        misnamed: list[Path] = []
        for entry in _sorted(self.root):
            if entry.name.startswith(TEMPORARY_PREFIX) and _plain_file(entry):
                strays.append(Path(entry.path))
            elif not (_FANOUT.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)):
                misnamed.append(Path(entry.path))
            else:
                for blob in _sorted(Path(entry.path)):
                    path = Path(blob.path)
                    if not (_REST.fullmatch(blob.name) and _plain_file(blob)):
                        misnamed.append(path)
                        continue
                    actual, length = _hash_file(path)
                    checked, size = checked + 1, size + length
                    if actual != entry.name + blob.name:
                        damaged.append(path)
        return FsckReport(checked, size, tuple(damaged), tuple(strays), tuple(misnamed))


def check_digest(digest: str) -> str:
    """``digest`` if it is 64 lower-case hex digits, else :class:`InvalidDigest`."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InvalidDigest(f"{str(digest)[:80]!r} is not a SHA-256 digest (64 lower-case hex)")
    return digest


class _Counting:
    """Counts what passes through, so a copy can be checked against the file's size."""

    def __init__(self, inner: BufferedReader, path: Path) -> None:
        self._inner = inner
        self._path = path
        self.count = 0

    def readinto(self, buffer: bytearray | memoryview, /) -> int | None:
        try:
            count = self._inner.readinto(buffer)
        except OSError as exc:
            raise SourceError(
                self._path, f"cannot be read: {exc.strerror or exc}", check="unreadable"
            ) from None
        self.count += count or 0
        return count


def _copy_hashing(reader: Readable, fd: int, temporary: Path) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(BUFFER_SIZE)
    view = memoryview(buffer)
    while True:
        try:
            count = reader.readinto(buffer)
        except OSError as exc:
            raise BlobError(f"cannot read the content to store: {exc.strerror or exc}") from None
        if not count:
            return digest.hexdigest()
        digest.update(view[:count])
        chunk = view[:count]
        try:
            while chunk:
                chunk = chunk[os.write(fd, chunk) :]
        except OSError as exc:
            raise BlobError(f"cannot write {shown(temporary)}: {exc.strerror or exc}") from None


def _hash_file(path: Path) -> tuple[str, int]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with open(fd, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        return digest, f.tell()


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _plain_file(entry: os.DirEntry[str]) -> bool:
    return entry.is_file(follow_symlinks=False)


def _sorted(folder: Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        yield from sorted(entries, key=lambda e: e.name)


__all__ = ["BlobStore", "FsckReport", "Readable", "check_digest"]
