"""Durable files: no reader ever sees half of one, a failure leaves nothing, a crash loses
nothing that was reported written, and no read loads more than the reader accepts.

- :func:`replace_file` puts new content under a name, whole: the bytes go to a hidden
  temporary file in the same folder (so the same file system), which is fsynced, renamed
  over the name, and the folder is fsynced (the rename is data too). If anything fails
  the old file is left exactly as it was and the temporary file is removed. Only a
  regular file is ever replaced (:class:`NotAFile` otherwise): a rename would put a file
  where a device, FIFO, socket or folder was, or where a symbolic link was instead of
  writing through it, and none of that is what a caller who names an output means.
- :func:`create_file` does the same but never overwrites: the temporary file is
  hard-linked to the name, which fails with ``FileExistsError`` when the name is taken
  and leaves that file untouched; of two writers racing, exactly one succeeds.
- :class:`StagedFile` is the streaming form of both, for content too large to hold in
  memory: written through its file descriptor, named only on :meth:`StagedFile.commit`.
- :func:`fsync_dir` makes a rename, link or new file inside a folder durable.
- :func:`locked` holds an exclusive advisory lock on a lock file for a block.
- :func:`private_dir` makes an owner-only folder; files written here are owner-only
  (0600) unless a ``mode`` says otherwise.
- :func:`read_bounded` reads a file, refusing (:class:`FileTooLarge`) one larger than the
  reader accepts without loading it.

A leaf module: it imports nothing of ``hanoi`` but the leaf :mod:`hanoi.errors`, so every
package may use it, :mod:`hanoi.crypto` included.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from hanoi.errors import InvalidInput, TooLarge

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class StagedFile:
    """A new file written under a hidden temporary name beside ``target`` (0600, or
    ``mode``), that takes the name ``target`` only on :meth:`commit`, complete and on disk.

    Use it as a context manager: leaving the block closes the file and removes the
    temporary name, so a file never committed leaves nothing behind.
    """

    def __init__(self, target: Path, *, mode: int = PRIVATE_FILE_MODE) -> None:
        self.target = Path(target)
        self.fd, name = tempfile.mkstemp(
            dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp"
        )
        self._temporary = Path(name)
        try:
            os.fchmod(self.fd, mode)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        """Append all of ``data`` (``os.write`` may take less than asked)."""
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def commit(self, *, replace: bool) -> None:
        """Sync the content, give it the name ``target`` and sync the folder.

        ``replace=False`` never overwrites: ``FileExistsError`` if ``target`` exists, which
        is then left untouched. ``replace=True`` swaps the new content in for the old one.
        """
        os.fsync(self.fd)
        if replace:
            check_replaceable(self.target)  # again, as late as can be: it may have changed
            os.replace(self._temporary, self.target)
        else:
            os.link(self._temporary, self.target)
            os.unlink(self._temporary)
        fsync_dir(self.target.parent)

    def close(self) -> None:
        """Close the file; the temporary name goes too (after a commit it is gone already)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temporary)


def replace_file(target: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """Write ``target`` whole, or not at all: a reader sees the old file or the new, never
    a mix, and after a failure the old file is still there, unchanged. :class:`NotAFile`
    if ``target`` is there but not a regular file (nothing is written then)."""
    check_replaceable(Path(target))
    with StagedFile(target, mode=mode) as staged:
        staged.write(data)
        staged.commit(replace=True)


def create_file(target: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """Create ``target`` whole, or not at all; ``FileExistsError`` (and the existing file
    untouched) if the name is taken."""
    with StagedFile(target, mode=mode) as staged:
        staged.write(data)
        staged.commit(replace=False)


class NotAFile(InvalidInput):
    """A name to write to holds something else than a regular file (a device, a FIFO, a
    socket, a folder, a symbolic link), which Hanoi never replaces."""

    title = "Not a regular file"

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path}: {kind}, not a regular file: refusing to replace it")
        self.path = path
        self.kind = kind


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def check_replaceable(target: Path) -> None:
    """Nothing, if ``target`` is absent or a regular file; :class:`NotAFile` naming what
    it is otherwise. The name itself is looked at, not what a symbolic link points to."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
        raise NotAFile(target, kind)


def fsync_dir(path: Path) -> None:
    """Make a rename or link inside ``path`` durable (the folder's entry is data too)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_file`` (created 0600) for the block;
    other processes taking the same lock wait."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) owner-only, or take group/world access off it."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE:
        os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask


class FileTooLarge(TooLarge, ValueError):
    """A file holds more bytes than the reader accepts. Also a ``ValueError``, as callers
    expect of a bad value."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(f"{path}: larger than the {limit:,}-byte limit")
        self.path = path
        self.limit = limit


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, never reading more than ``limit`` + 1 of them: raises
    :class:`FileTooLarge` beyond ``limit``, and ``OSError`` as opening or reading does."""
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(path, limit)
    return data
