"""Keys, canonical JSON, JOSE message envelopes and receipts, signed notes and age.

Signed notes live in :mod:`hanoi.crypto.note` and are imported from there (their names,
``Signer``, ``Verifier``, ``Signature``, are too generic for this namespace).

Imports nothing else of ``hanoi`` but :mod:`hanoi.errors`, the root of every error (rule of
the house): every other package may rely on it.

The names below are loaded from their submodule on first use, not when the package is
imported: a caller that needs only keys or canonical JSON must not pay for the envelope
and receipt code (and everything it imports) just because it imported ``hanoi.crypto``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hanoi.crypto.canonical import canonical_json, sha256_hex
    from hanoi.crypto.envelope import (
        BadSignature,
        DigestMismatch,
        EnvelopeError,
        ExpiredMessage,
        IssuedInFuture,
        MalformedMessage,
        MessageClaims,
        OpenedMessage,
        OversizedMessage,
        Party,
        ReplayedMessage,
        SignerKeyEnded,
        SignerKeys,
        UnknownSignerKey,
        WrongRecipient,
        keyring_lookup,
        new_message_id,
        open_message,
        seal_message,
        token_sha256,
    )
    from hanoi.crypto.errors import (
        CanonicalizationError,
        CryptoError,
        KeyStoreError,
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
    from hanoi.crypto.receipts import Receipt, sign_receipt, verify_receipt

__all__ = [
    "DEFAULT_GRACE",
    "KEY_KINDS",
    "BadSignature",
    "CanonicalizationError",
    "CryptoError",
    "DigestMismatch",
    "EncryptionKey",
    "EnvelopeError",
    "ExpiredMessage",
    "IssuedInFuture",
    "KeyKind",
    "KeyRecord",
    "KeyStatus",
    "KeyStore",
    "KeyStoreError",
    "MalformedMessage",
    "MessageClaims",
    "OpenedMessage",
    "OversizedMessage",
    "Party",
    "Receipt",
    "ReplayedMessage",
    "SignerKeyEnded",
    "SignerKeys",
    "SigningKey",
    "UnknownSignerKey",
    "WrongRecipient",
    "canonical_json",
    "jwk_thumbprint",
    "keyring_lookup",
    "new_message_id",
    "open_message",
    "seal_message",
    "sha256_hex",
    "sign_receipt",
    "token_sha256",
    "verify_receipt",
]

#: The submodules that define the exports, lightest first: a name is taken from the first
#: that has it, so asking for a key never loads the envelope and receipt code.
_SOURCES = ("errors", "canonical", "keys", "envelope_base", "receipts", "envelope")


# Hidden from type checkers: they see the imports above, so a misspelt name stays an error
# instead of becoming ``Any`` through a module-level ``__getattr__``.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            # Not an export: ``from hanoi.crypto import note`` then imports the submodule.
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        for source in _SOURCES:
            module = importlib.import_module(f"{__name__}.{source}")
            if hasattr(module, name):
                value = getattr(module, name)
                globals()[name] = value  # later look-ups skip this function
                return value
        raise AttributeError(f"module {__name__!r} lists {name!r} but no submodule has it")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
