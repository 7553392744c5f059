"""What can go wrong when sealing evidence or keeping it in the blob store.

Every message is one line a person can act on (the CLI prints ``str(exc)`` as it is), and
names the file concerned; the file is also kept as an attribute so a package layer can say
which of several inputs failed.
"""

from __future__ import annotations

from pathlib import Path


class EvidenceError(Exception):
    """Base of every error raised by :mod:`hanoi.evidence`."""


def shown(path: Path | str) -> str:
    """A path inside a message: quoted, and one line even if the name holds a newline."""
    return repr(str(path))


# --- the files given to seal or to store ---------------------------------------------------


class SourceError(EvidenceError):
    """A file given to seal or to store cannot be used as it is."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{shown(path)} {reason}")


class UnreadableSource(SourceError):
    """The file is missing, not readable by this user, or reading it failed."""


class SymlinkSource(SourceError):
    """The path is a symbolic link: we seal what was named, never what a link points to."""


class NotRegularFile(SourceError):
    """A directory, FIFO, device or socket: only regular files have a stable content."""


class SourceChanged(SourceError):
    """The file changed while it was being read: what was sealed is not the file as it is."""


# --- sealing ---------------------------------------------------------------------------------


class BadRecipient(EvidenceError):
    """The recipient is not an age X25519 recipient (``age1...``)."""


class SealOutputError(EvidenceError):
    """The sealed file could not be written (disk full, folder missing, file exists)."""


class EncryptionFailed(EvidenceError):
    """The age encryption itself failed for a reason other than reading or writing."""


# --- the blob store --------------------------------------------------------------------------


class BlobError(EvidenceError):
    """Base of the blob store's errors."""


class InvalidDigest(BlobError):
    """Not 64 lower-case hexadecimal characters: refused before it can name a path."""


class BlobMissing(BlobError):
    """No blob with that digest is in the store."""


class BlobDamaged(BlobError):
    """A stored blob's content no longer hashes to its name."""


class DigestMismatch(BlobError):
    """The content offered to the store does not have the SHA-256 the caller expected."""


__all__ = [
    "BadRecipient",
    "BlobDamaged",
    "BlobError",
    "BlobMissing",
    "DigestMismatch",
    "EncryptionFailed",
    "EvidenceError",
    "InvalidDigest",
    "NotRegularFile",
    "SealOutputError",
    "SourceChanged",
    "SourceError",
    "SymlinkSource",
    "UnreadableSource",
]
