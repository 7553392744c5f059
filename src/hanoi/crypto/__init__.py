"""Keys, canonical JSON and (later) JOSE envelopes, signed notes and age sealing.

Imports nothing else of ``hanoi`` (rule of the house): every other package may rely on it.
"""

from hanoi.crypto.canonical import canonical_json, sha256_hex
from hanoi.crypto.errors import (
    CanonicalizationError,
    CryptoError,
    KeyStoreError,
    UnknownKey,
    WrongPassphrase,
)
from hanoi.crypto.keys import (
    DEFAULT_GRACE,
    KEY_KINDS,
    EncryptionKey,
    KeyKind,
    KeyRecord,
    KeyStatus,
    KeyStore,
    SigningKey,
    jwk_thumbprint,
)

__all__ = [
    "DEFAULT_GRACE",
    "KEY_KINDS",
    "CanonicalizationError",
    "CryptoError",
    "EncryptionKey",
    "KeyKind",
    "KeyRecord",
    "KeyStatus",
    "KeyStore",
    "KeyStoreError",
    "SigningKey",
    "UnknownKey",
    "WrongPassphrase",
    "canonical_json",
    "jwk_thumbprint",
    "sha256_hex",
]
