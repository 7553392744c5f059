"""What can go wrong when sealing evidence or keeping it in the blob store.

Every message is one line a person can act on (the CLI prints ``str(exc)`` as it is), and
names the file concerned; the file is also kept as an attribute so a package layer can say
which of several inputs failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from hanoi.errors import (
    HanoiError,
    InvalidInput,
    Malformed,
    NotFound,
    SetupError,
    VerificationFailed,
)


class EvidenceError(HanoiError):
    """Base of every error raised by :mod:`hanoi.evidence`."""


def shown(path: Path | str) -> str:
    """A path inside a message: quoted, and one line even if the name holds a newline."""
    return repr(str(path))


# --- the files given to seal or to store ---------------------------------------------------

SourceCheck = Literal["unreadable", "symlink", "not-regular", "changed"]


class SourceError(EvidenceError, InvalidInput):
    """A file given to seal or to store cannot be used as it is; ``check`` says why: it is
    missing, not readable by this user, or reading it failed (``"unreadable"``); it is a
    symbolic link, and we seal what was named, never what a link points to
    (``"symlink"``); it is a directory, FIFO, device or socket, and only regular files have
    a stable content (``"not-regular"``); or it changed while it was being read, so what
    was sealed is not the file as it is (``"changed"``)."""

    def __init__(self, path: Path, reason: str, *, check: SourceCheck) -> None:
        self.path = path
        self.reason = reason
        self.check = check
        super().__init__(f"{shown(path)} {reason}")


# --- sealing ---------------------------------------------------------------------------------


class BadRecipient(EvidenceError, InvalidInput):
    """The recipient is not an age X25519 recipient (``age1...``)."""


class SealOutputError(EvidenceError, InvalidInput):
    """The sealed file could not be written (disk full, folder missing, file exists)."""


# --- the blob store --------------------------------------------------------------------------


class BlobError(EvidenceError, SetupError):
    """The blob store is missing, or a file in it cannot be made, stored or opened."""


class InvalidDigest(EvidenceError, Malformed):
    """Not 64 lower-case hexadecimal characters: refused before it can name a path."""


class BlobMissing(EvidenceError, NotFound):
    """No blob with that digest is in the store."""


class BlobDamaged(EvidenceError, VerificationFailed):
    """A stored blob's content no longer hashes to its name."""


class DigestMismatch(EvidenceError, VerificationFailed):
    """The content offered to the store does not have the SHA-256 the caller expected."""


__all__ = [
    "BadRecipient",
    "BlobDamaged",
    "BlobError",
    "BlobMissing",
    "DigestMismatch",
    "EvidenceError",
    "InvalidDigest",
    "SealOutputError",
    "SourceCheck",
    "SourceError",
]
