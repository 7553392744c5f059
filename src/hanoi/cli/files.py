"""Reading inputs and writing outputs safely: bounded reads, atomic writes, no clobbering."""

from __future__ import annotations

import os
from pathlib import Path

from hanoi import files
from hanoi.cli.errors import CliUsageError


def read_bounded(path: Path, limit: int) -> bytes:
    """Read at most ``limit`` bytes, refusing bigger files before loading them."""
    if str(path) == "-":
        import sys

        data = sys.stdin.buffer.read(limit + 1)
    else:
        if path.is_dir():
            raise CliUsageError(f"{path}: is a directory, not a file")
        try:
            return files.read_bounded(path, limit)
        except files.FileTooLarge as exc:
            raise CliUsageError(str(exc)) from None
    if len(data) > limit:
        raise CliUsageError(f"{path}: larger than the {limit:,}-byte limit")
    return data


def write_atomic(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write to a temporary file beside ``path`` and rename it, so no reader ever sees half
    a file and a failure leaves nothing behind.

    Without ``overwrite`` an existing name (even a dangling symbolic link) is refused; with
    it, only a regular file is replaced (never a device, FIFO, folder or symbolic link).
    Every failure names ``path``, not the temporary file beside it."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CliUsageError(f"{directory}: no such directory")
    # lexists: a symbolic link is a name taken, even one pointing nowhere. (Not
    # files.create_file: its hard link fails on file systems without links, like a FAT
    # memory stick, where people do write letters.)
    if not overwrite and os.path.lexists(path):
        raise CliUsageError(f"{path}: already exists (use --force to replace it)")
    try:
        files.replace_file(path, data)
    except OSError as exc:
        raise CliUsageError(f"{path}: cannot write it: {exc.strerror or exc}") from None
