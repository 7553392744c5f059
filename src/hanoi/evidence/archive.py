"""An evidence package as one POSIX tar, streamed for download (e.g. to hand to a court).

The tar is written by hand, header by header, rather than through :class:`tarfile.TarFile`
so that a web endpoint can send a package of many GiB without holding it: only one chunk of
one file is in memory at a time, and the exact length is known before the first byte
(``PackageArchive.size``) so the answer can carry a ``Content-Length``.

Layout inside the tar, in this order::

    NAME/  NAME/manifest.json  NAME/manifest.jws  NAME/custody.jsonld
    NAME/payload/  NAME/payload/0001.age ...

The bytes depend only on the package's file names and contents: every entry has mtime 0,
uid/gid 0, empty owner names, mode 0o644 (files) or 0o755 (folders). The mtime is 0, not the
files' own, because copying or restoring a package changes its mtimes and two downloads of
the same sealed package should then still be byte for byte the same; the time that matters
in court is ``sealed_at`` in the signed manifest, not a filesystem timestamp.

Archiving does not verify the package (that reads every byte once more); call
:func:`hanoi.evidence.package.verify_package` first when that matters.
"""

from __future__ import annotations

import os
import re
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hanoi.evidence.package import CUSTODY, MANIFEST, PAYLOAD, SIGNATURE, PackageError

BLOCK = tarfile.BLOCKSIZE  # 512
CHUNK = 1024 * 1024
# Two zero blocks end a tar. We stop there and do not pad to tarfile's 10 KiB record:
# GNU tar and Python read the shorter form, and the length stays simple to state.
_END = bytes(2 * BLOCK)
# A plain folder name: no path separators, no "." or "..", not hidden, ASCII only, short
# enough that "NAME/payload/0001.age" fits ustar's 100-byte name field.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_PAYLOAD_FILE = re.compile(r"[0-9]{4,}\.age")
#: Optional: offline proofs (C2SP tlog-proof) of the package's steps in the node's log.
PROOFS = "proofs"
_PROOF_FILE = re.compile(r"[0-9]{2,4}-[a-z][a-z-]{0,39}\.tlog-proof")
_TOP_FILES = (MANIFEST, SIGNATURE, CUSTODY)


@dataclass(frozen=True)
class _Entry:
    header: bytes  # the tar header block(s), pax extended header included when needed
    source: Path | None  # None for a folder entry
    shown: str  # the path inside the package, for messages
    size: int  # bytes of content promised in the header

    @property
    def length(self) -> int:
        return len(self.header) + _padded(self.size)


@dataclass(frozen=True)
class PackageArchive:
    """A planned tar of one package; :meth:`chunks` may be called more than once."""

    name: str
    entries: tuple[_Entry, ...]

    @property
    def size(self) -> int:
        """The exact number of bytes :meth:`chunks` yields."""
        return sum(entry.length for entry in self.entries) + len(_END)

    def chunks(self, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """Yield the tar: each header, the file's content read ``chunk_size`` at a time, the
        padding to a 512-byte block, and the end blocks.

        If a file no longer has the size planned, :class:`PackageError` is raised mid-stream:
        a web answer then ends short of its Content-Length and the client sees a failed
        download, never a tar that looks whole but holds the wrong bytes.
        """
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        for entry in self.entries:
            yield entry.header
            if entry.source is None:
                continue
            yield from _content(entry.source, entry.shown, entry.size, chunk_size)
            if tail := entry.size % BLOCK:
                yield bytes(BLOCK - tail)
        yield _END


def package_archive(folder: Path, *, name: str) -> PackageArchive:
    """Plan the tar of the package in ``folder``, with every path under the folder ``name/``.

    The optional ``proofs/`` folder (offline proofs of the package's steps in the node's
    transparency log) goes in too. Refuses a folder holding anything but a package's
    files: a symbolic link, a
    non-regular file, a missing file or any other file is a :class:`PackageError`, since a
    tar given to a court must hold exactly what was sealed.
    """
    if not _NAME.fullmatch(name):
        raise PackageError(
            f"{name!r}: not a plain folder name for the archive (letters, digits, '.', '_', "
            "'-'; starting with a letter or digit; at most 64 characters)"
        )
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        raise PackageError(f"{folder}: not a package folder")
    extra = sorted(set(os.listdir(folder)) - {*_TOP_FILES, PAYLOAD, PROOFS})
    if extra:
        raise PackageError(f"{extra[0]}: not part of an evidence package; remove it first")
    _require(folder / PAYLOAD, stat.S_ISDIR, f"{PAYLOAD}/", "a folder")
    payload = sorted(os.listdir(folder / PAYLOAD))
    for item in payload:
        if not _PAYLOAD_FILE.fullmatch(item):
            raise PackageError(
                f"{PAYLOAD}/{item}: not part of an evidence package; remove it first"
            )
    entries = [_folder(f"{name}/")]
    entries += [_file(folder, name, relative) for relative in _TOP_FILES]
    entries.append(_folder(f"{name}/{PAYLOAD}/"))
    entries += [_file(folder, name, f"{PAYLOAD}/{item}") for item in payload]
    if os.path.lexists(folder / PROOFS):
        _require(folder / PROOFS, stat.S_ISDIR, f"{PROOFS}/", "a folder")
        proofs = sorted(os.listdir(folder / PROOFS))
        for item in proofs:
            if not _PROOF_FILE.fullmatch(item):
                raise PackageError(
                    f"{PROOFS}/{item}: not part of an evidence package; remove it first"
                )
        entries.append(_folder(f"{name}/{PROOFS}/"))
        entries += [_file(folder, name, f"{PROOFS}/{item}") for item in proofs]
    return PackageArchive(name=name, entries=tuple(entries))


def _require(path: Path, is_kind: Callable[[int], bool], shown: str, kind: str) -> os.stat_result:
    # lstat, never stat: a symbolic link is refused, not followed out of the package.
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise PackageError(f"{shown}: missing from the package") from None
    if stat.S_ISLNK(info.st_mode):
        raise PackageError(f"{shown}: a symbolic link; a package holds only real files")
    if not is_kind(info.st_mode):
        raise PackageError(f"{shown}: not {kind}")
    return info


def _folder(arcname: str) -> _Entry:
    info = _info(arcname, tarfile.DIRTYPE, 0o755, 0)
    return _Entry(header=info.tobuf(tarfile.PAX_FORMAT), source=None, shown=arcname, size=0)


def _file(folder: Path, name: str, relative: str) -> _Entry:
    size = _require(folder / relative, stat.S_ISREG, relative, "a regular file").st_size
    info = _info(f"{name}/{relative}", tarfile.REGTYPE, 0o644, size)
    # PAX_FORMAT writes a plain ustar header, and adds a pax extended header only for what
    # ustar cannot hold: here, a file of 8 GiB or more (a disk image, say).
    header = info.tobuf(tarfile.PAX_FORMAT)
    return _Entry(header=header, source=folder / relative, shown=relative, size=size)


def _info(arcname: str, kind: bytes, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(arcname)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _content(path: Path, shown: str, size: int, chunk_size: int) -> Iterator[bytes]:
    # O_NOFOLLOW: the file was checked when planned; a link swapped in since is refused.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise PackageError(f"{shown}: cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb", buffering=0) as source:
        left = size
        while left:
            data = source.read(min(chunk_size, left))
            if not data:
                raise PackageError(
                    f"{shown}: shrank to {size - left} bytes while being archived "
                    f"(planned {size}); the download is abandoned"
                )
            left -= len(data)
            yield data
        if source.read(1):
            raise PackageError(
                f"{shown}: grew beyond {size} bytes while being archived; the download is abandoned"
            )


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


__all__ = ["PackageArchive", "package_archive"]
