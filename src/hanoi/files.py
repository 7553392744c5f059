"""Files written so that no reader ever sees half of one and a failure leaves nothing, and
files read without ever loading more than the reader accepts."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from hanoi.errors import TooLarge


def replace_file(target: Path, data: bytes) -> None:
    """Write ``target`` whole, or not at all: through a temporary file beside it, synced to
    disk, then renamed over it (a reader sees the old file or the new, never a mix)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise


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
