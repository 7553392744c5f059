"""Errors raised by ``hanoi.directory``.

Grouped by where they come from: reading an entry, the Secretariat's repository, and a
node refreshing its copy. Every message is one line that names the file or the State it is
about, so the CLI and the API can show it as it is. Like every error, each is mapped to an
exit code in one place (``cli/errors.py``) by its decision (:mod:`hanoi.errors`):
:class:`DirectoryVerificationError` means "the checked thing is invalid" (exit 1); every
other :class:`DirectoryError` means bad input or setup (exit 2).
"""

from __future__ import annotations

from typing import Literal

from hanoi.errors import HanoiError, InvalidInput, SetupError, VerificationFailed


class DirectoryError(HanoiError):
    """Base class for errors raised by ``hanoi.directory``."""


class EntryError(DirectoryError, InvalidInput):
    """A directory entry could not be read or does not have the right shape."""


class KeyFileError(DirectoryError, InvalidInput):
    """A key (public JWK, JWKS, PEM) could not be read or is not an Ed25519 key."""


class RepositorySetupError(DirectoryError, SetupError):
    """The Secretariat repository is missing, already exists, or an argument is unusable."""


DirectoryCheck = Literal["root", "publish", "refresh"]


class DirectoryVerificationError(DirectoryError, VerificationFailed):
    """Signed directory data failed a check: a signature, a delegation, a hash, an expiry.

    ``file`` names the file that failed, as it is called in the repository
    (``timestamp.json``, ``states-XA.json``, ``states/XA/entry.json``). ``check`` says
    whose check it was: a root offered to be trusted (``"root"``), the Secretariat refusing
    to publish what a State handed in: wrong key, wrong path... (``"publish"``), or a node's
    refresh, after which its last good copy of the directory is kept unchanged
    (``"refresh"``).
    """

    def __init__(self, file: str, reason: str, *, check: DirectoryCheck = "root") -> None:
        self.file = file
        self.reason = reason
        self.check = check
        super().__init__(f"{file}: {reason}")


class DirectoryCacheError(DirectoryError, SetupError):
    """The node has no pinned root or no verified copy of the directory yet."""
