"""The directory of States: who they are, how to reach them, which keys speak for them.

- :mod:`~hanoi.directory.entry`: a State's entry (the model, parsing, canonical bytes,
  its validity window).
- :mod:`~hanoi.directory.draft`: an entry drafted from a template and the node's identity.
- :mod:`~hanoi.directory.repository`: the Secretariat's TUF repository, and
  :func:`sign_entry`, with which a State signs its own entry.
- :mod:`~hanoi.directory.client`: a node's verified, offline copy.
- :mod:`~hanoi.directory.local_copy`: that copy read again without python-tuf;
  :mod:`~hanoi.directory.names` names a State's role and entry in it.
- :mod:`~hanoi.directory.view`: that copy as everyone else reads it (the checker and the
  letters, peers, evidence), cached until the next refresh.
- :mod:`~hanoi.directory.states`: the States as the checker and the letters see them.
- :mod:`~hanoi.directory.fixture`: the fictional demo directory, for a node that pinned none.

Names are exported lazily: ``hanoi.directory.fixture`` is imported by the request checker on
every start, and should not pay for loading python-tuf.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hanoi.crypto.jwk import public_jwk
    from hanoi.directory.client import CacheStatus, DirectoryClient
    from hanoi.directory.draft import check_own_entry, draft_entry
    from hanoi.directory.entry import Authority, Declaration, Entry, canonical_bytes, parse_entry
    from hanoi.directory.errors import (
        DirectoryCacheError,
        DirectoryError,
        DirectoryVerificationError,
        EntryError,
        KeyFileError,
        RepositorySetupError,
    )
    from hanoi.directory.keys import load_public_keys
    from hanoi.directory.repository import (
        Expiry,
        PublishResult,
        SecretariatRepository,
        SignedEntry,
        StateDelegation,
        sign_entry,
    )

_EXPORTS = {
    "hanoi.directory.client": ("CacheStatus", "DirectoryClient"),
    "hanoi.directory.draft": ("check_own_entry", "draft_entry"),
    "hanoi.directory.entry": (
        "Authority",
        "Declaration",
        "Entry",
        "canonical_bytes",
        "parse_entry",
    ),
    "hanoi.directory.errors": (
        "DirectoryCacheError",
        "DirectoryError",
        "DirectoryVerificationError",
        "EntryError",
        "KeyFileError",
        "RepositorySetupError",
    ),
    "hanoi.crypto.jwk": ("public_jwk",),
    "hanoi.directory.keys": ("load_public_keys",),
    "hanoi.directory.repository": (
        "Expiry",
        "PublishResult",
        "SecretariatRepository",
        "SignedEntry",
        "StateDelegation",
        "sign_entry",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'hanoi.directory' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Authority",
    "CacheStatus",
    "Declaration",
    "DirectoryCacheError",
    "DirectoryClient",
    "DirectoryError",
    "DirectoryVerificationError",
    "Entry",
    "EntryError",
    "Expiry",
    "KeyFileError",
    "PublishResult",
    "RepositorySetupError",
    "SecretariatRepository",
    "SignedEntry",
    "StateDelegation",
    "canonical_bytes",
    "check_own_entry",
    "draft_entry",
    "load_public_keys",
    "parse_entry",
    "public_jwk",
    "sign_entry",
]
