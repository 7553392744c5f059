"""Errors raised by ``hanoi.directory``.

Grouped by where they come from: reading an entry, the Secretariat's repository, and a
node refreshing its copy. Every message is one line that names the file or the State it is
about, so the CLI and the API can show it as it is. The CLI maps them to exit codes in one
place (``cli/errors.py``): :class:`DirectoryVerificationError` means "the checked thing is
invalid" (exit 1); every other :class:`DirectoryError` means bad input or setup (exit 2).
"""

from __future__ import annotations


class DirectoryError(Exception):
    """Base class for errors raised by ``hanoi.directory``."""


class EntryError(DirectoryError):
    """A directory entry could not be read or does not have the right shape."""


class KeyFileError(DirectoryError):
    """A key (public JWK, JWKS, PEM) could not be read or is not an Ed25519 key."""


class RepositorySetupError(DirectoryError):
    """The Secretariat repository is missing, already exists, or an argument is unusable."""


class DirectoryVerificationError(DirectoryError):
    """Signed directory data failed a check: a signature, a delegation, a hash, an expiry.

    ``file`` names the file that failed, as it is called in the repository
    (``timestamp.json``, ``states-XA.json``, ``states/XA/entry.json``).
    """

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")


class PublishRefusedError(DirectoryVerificationError):
    """The Secretariat refused to publish what a State handed in (wrong key, wrong path...)."""


class DirectoryRefreshError(DirectoryVerificationError):
    """A node's refresh failed; its last good copy of the directory was kept unchanged."""


class DirectoryCacheError(DirectoryError):
    """The node has no pinned root or no verified copy of the directory yet."""
