"""Read an Expert Witness (EWF, ``.E01``) disk image, read-only, with libewf (``pyewf``).

Forensic images reach the platform as E01 files made by the requesting authority's tools.
Before one is sealed and sent, the sender wants to know what it is: how large the media is,
which case it says it belongs to, and whether its media data still hashes to the MD5/SHA-1
the acquisition tool stored in it. This module answers that and nothing more: libewf can
read E01 images but not write them, and we never modify evidence.

Why the care below:

- ``pyewf.glob`` finds the other segments (``.E02``, ``.E03`` ...) from the first one; the
  segments actually opened are reported, so a caller sees which files the answer covers.
- libewf opens an image whose later segments are missing or whose end was cut off, and
  only fails when the missing media data is read. :func:`inspect_ewf` therefore always reads
  the last byte of the media, even with ``verify=False``: an incomplete image is an error,
  never an answer with a plausible media size.
- A chunk whose checksum fails is *not* an error in libewf: the read returns that chunk
  as zeros (measured with libewf-python 20260924) and only the hashes tell. So media data
  that differs from what was acquired is reported as ``verified=False`` with the names of
  the hashes that differ, not raised; the image is still readable, its content is not the
  acquired one, and the person deciding what to send must see that, not a crash.
- EnCase-6 images store only MD5 and SHA-1; SHA-256 is computed here so the platform's own
  records (which use SHA-256) can name the media data.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import pyewf  # type: ignore[import-not-found]

from hanoi.errors import InvalidInput
from hanoi.evidence.errors import EvidenceError, shown
from hanoi.evidence.manifest import ImageMetadataKey

READ_CHUNK = 1024 * 1024
"""Media data is hashed in pieces of this size: memory stays constant whatever the image."""

_SIGNATURE_BYTES = 8

# libewf's names for the stored hashes, and the hashlib names (and hex lengths) we use.
_STORED_HASHES = {"MD5": ("md5", 32), "SHA1": ("sha1", 40), "SHA256": ("sha256", 64)}

# Header values that describe the case and the acquisition, as the manifest names them.
# Left out on purpose: the password hash, and libewf's internal bookkeeping (compression
# level, extents, ...).
METADATA_KEYS: tuple[str, ...] = get_args(ImageMetadataKey)

_HEX = re.compile(r"^[0-9a-f]+$")

# pyewf reports libewf failures as OSError; its glob raises MemoryError for a missing file.
_PYEWF_ERRORS = (OSError, MemoryError, ValueError, TypeError)

Progress = Callable[[int, int], None]
"""Called with (bytes of media data hashed so far, media size) after each piece."""


class EwfError(EvidenceError, InvalidInput):
    """The file is not an EWF image, or the image cannot be read as a whole.

    One line naming the file; libewf's own (long, multi-clause) message is kept as the
    exception's ``__cause__`` for logs, not shown to the person.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{shown(path)} {reason}")


@dataclass(frozen=True, slots=True)
class EwfInfo:
    """What an E01 image says about itself, and what its media data hashes to.

    ``stored`` and ``computed`` are keyed by hashlib names (``md5``, ``sha1``, ``sha256``),
    values lower-case hex. ``computed`` is empty when the image was not verified.
    ``verified`` is True only when the media data was read, at least one hash was stored,
    and every stored hash equals the computed one: an image that stores no hash cannot be
    verified, and says so with ``verified=False`` and no ``mismatches``.
    """

    path: Path
    segments: list[Path]
    media_size: int
    stored: dict[str, str]
    metadata: dict[str, str]
    computed: dict[str, str] = field(default_factory=dict)
    verified: bool = False
    mismatches: list[str] = field(default_factory=list)


def is_ewf(path: Path | str) -> bool:
    """Whether the file starts with an EWF signature (reads only its first bytes).

    Only a regular file is opened: a FIFO or device named by mistake would block or be
    read from. A missing or unreadable file is simply not an EWF image.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        return bool(pyewf.check_file_signature(os.fspath(path)))
    except (OSError, MemoryError, ValueError):
        return False


def inspect_ewf(
    path: Path | str, *, verify: bool = True, progress: Progress | None = None
) -> EwfInfo:
    """Read an E01 image's size, stored hashes and case metadata, and optionally verify it.

    ``path`` is the first segment (``.E01``); the others are found next to it. With
    ``verify`` the whole media data is read once, in constant memory, and hashed with MD5,
    SHA-1 and SHA-256. Raises :class:`EwfError` for a file that is not an EWF image and for
    an image that cannot be read completely (missing segment, truncated, corrupt sections).
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        raise EwfError(path, "does not exist") from exc
    except OSError as exc:
        raise EwfError(path, f"cannot be read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        raise EwfError(path, "is not a regular file, so not an EWF (E01) image")
    if not is_ewf(path):
        raise EwfError(path, "is not an EWF (E01) image: no EWF signature at its start")
    segments = _segments(path)
    handle = pyewf.handle()
    try:
        handle.open([os.fspath(s) for s in segments])
    except _PYEWF_ERRORS as exc:
        raise EwfError(path, "is a damaged EWF image: libewf cannot open it") from exc
    try:
        try:
            media_size = int(handle.get_media_size())
            stored = _stored_hashes(path, handle.get_hash_values())
            metadata = _metadata(handle.get_header_values())
        except _PYEWF_ERRORS as exc:
            raise EwfError(path, "is a damaged EWF image: its header cannot be read") from exc
        if media_size > 0:
            _read(path, handle, media_size - 1, 1)  # an incomplete image fails here
        info = EwfInfo(
            path=path, segments=segments, media_size=media_size, stored=stored, metadata=metadata
        )
        if not verify:
            return info
        computed = _hash_media(path, handle, media_size, progress)
    finally:
        handle.close()
    mismatches = [name for name, value in stored.items() if computed[name] != value]
    return EwfInfo(
        path=path,
        segments=segments,
        media_size=media_size,
        stored=stored,
        metadata=metadata,
        computed=computed,
        verified=bool(stored) and not mismatches,
        mismatches=mismatches,
    )


def _segments(path: Path) -> list[Path]:
    """The segment files of the image, in order, as libewf's naming scheme finds them.

    A single-segment image may have any name; libewf's glob only knows the ``.E01``
    family, so a name it does not recognise is opened alone (an image that needed more
    segments then fails the end-of-media read).
    """
    try:
        names = pyewf.glob(os.fspath(path))
    except _PYEWF_ERRORS:
        return [path]
    return [Path(name) for name in names] or [path]


def _stored_hashes(path: Path, values: dict[str, Any]) -> dict[str, str]:
    stored: dict[str, str] = {}
    for key, (name, length) in _STORED_HASHES.items():
        value = values.get(key)
        if not value:
            continue
        value = str(value).strip().lower()
        if len(value) != length or not _HEX.fullmatch(value):
            raise EwfError(path, f"is a damaged EWF image: its stored {key} is not a hash")
        stored[name] = value
    return stored


def _metadata(values: dict[str, Any]) -> dict[str, str]:
    return {key: str(values[key]) for key in METADATA_KEYS if values.get(key)}


def _read(path: Path, handle: Any, offset: int, size: int) -> bytes:
    """Media data at ``offset``; an error or a short read means the image is incomplete."""
    try:
        data = handle.read_buffer_at_offset(size, offset)
    except _PYEWF_ERRORS as exc:
        raise EwfError(
            path,
            f"is a damaged or incomplete EWF image: media data at offset {offset} cannot be "
            "read (missing segment, truncated file or corrupt chunk table)",
        ) from exc
    if not isinstance(data, bytes) or len(data) != size:
        raise EwfError(
            path, f"is an incomplete EWF image: media data ends before offset {offset + size}"
        )
    return data


def _hash_media(
    path: Path, handle: Any, media_size: int, progress: Progress | None
) -> dict[str, str]:
    hashers = {name: hashlib.new(name) for name in ("md5", "sha1", "sha256")}
    offset = 0
    while offset < media_size:
        piece = _read(path, handle, offset, min(READ_CHUNK, media_size - offset))
        for hasher in hashers.values():
            hasher.update(piece)
        offset += len(piece)
        if progress is not None:
            progress(offset, media_size)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


__all__ = ["METADATA_KEYS", "READ_CHUNK", "EwfError", "EwfInfo", "inspect_ewf", "is_ewf"]
