"""What can go wrong with keys and canonical JSON.

Every message is one line and never holds key material or a passphrase: the CLI prints
``str(exc)`` as it is.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by :mod:`hanoi.crypto`."""


class CanonicalizationError(CryptoError):
    """A value that RFC 8785 canonical JSON cannot represent (NaN, huge integers, ...)."""


class KeyStoreError(CryptoError):
    """The node's key folder is missing, already initialised, damaged or misused."""


class WrongPassphrase(KeyStoreError):
    """A passphrase-protected key could not be opened with the passphrase given."""


class UnknownKey(KeyStoreError):
    """No key with the requested key id exists in the keyring."""
