"""What can go wrong with keys and canonical JSON.

Every message is one line and never holds key material or a passphrase: the CLI prints
``str(exc)`` as it is.
"""

from __future__ import annotations

from typing import Literal

from hanoi.errors import HanoiError, InvalidInput, Malformed, SetupError


class CryptoError(HanoiError):
    """Base of every error raised by :mod:`hanoi.crypto`."""


class CanonicalizationError(CryptoError, InvalidInput):
    """A value that RFC 8785 canonical JSON cannot represent (NaN, huge integers, ...)."""


class MalformedJSON(CryptoError, Malformed, ValueError):
    """JSON read from outside that is refused before anything uses it: not UTF-8, not JSON,
    nested deeper than the reader allows, a duplicate key where keys must be unique, or
    NaN and the infinities. Also a :class:`ValueError`, as :mod:`json`'s own errors are, so
    a caller that refuses unreadable JSON catches it as it caught those."""


KeyStoreCheck = Literal["folder", "passphrase", "unknown-key"]


class KeyStoreError(CryptoError, SetupError):
    """The node's key folder is missing, already initialised, damaged or misused.

    ``check`` is ``"passphrase"`` when a protected key would not open with the passphrase
    given, ``"unknown-key"`` when the keyring has no such key (or not of that kind), and
    ``"folder"`` otherwise.
    """

    def __init__(self, message: str, *, check: KeyStoreCheck = "folder") -> None:
        super().__init__(message)
        self.check = check
