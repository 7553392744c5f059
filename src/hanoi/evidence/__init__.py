"""Electronic evidence: sealing files for a recipient node and keeping blobs on disk.

:func:`seal_file` reads a file once and gives its age ciphertext with both SHA-256 hashes;
:class:`BlobStore` keeps files named by their SHA-256. Packages, delivery and verification
build on these two.
"""

from hanoi.evidence.blobs import BlobStore, FsckReport
from hanoi.evidence.errors import (
    BadRecipient,
    BlobDamaged,
    BlobError,
    BlobMissing,
    DigestMismatch,
    EvidenceError,
    InvalidDigest,
    SealOutputError,
    SourceError,
)
from hanoi.evidence.seal import SealedFile, seal_file

__all__ = [
    "BadRecipient",
    "BlobDamaged",
    "BlobError",
    "BlobMissing",
    "BlobStore",
    "DigestMismatch",
    "EvidenceError",
    "FsckReport",
    "InvalidDigest",
    "SealOutputError",
    "SealedFile",
    "SourceError",
    "seal_file",
]
