"""Evidence between States: who a package is sealed for, and whose keys verify it.

Both come from the node's verified directory: the recipient's age recipient from its entry,
and the sealing State's node keys valid at the sealing time. The sealing time is the
sealer's own word, so a node receiving a package also asks that the key be valid still when
the package reaches it (:func:`keys_at_receipt`): a revoked key cannot make a manifest dated
before its revocation. For a verifier with no directory (a court expert, years later), a key
given by hand does instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hanoi.crypto.envelope_base import keys_valid_at_receipt
from hanoi.crypto.jwk import kid_of
from hanoi.directory.entry import Entry, authority_code
from hanoi.directory.keys import load_public_keys
from hanoi.directory.view import DirectoryView
from hanoi.errors import InvalidInput
from hanoi.evidence.errors import EvidenceError
from hanoi.evidence.manifest import Recipient

KeysFor = Callable[[str, datetime | None], Sequence[Ed25519PublicKey]]


class RecipientError(EvidenceError, InvalidInput):
    """The State or authority to seal for is not one the directory can seal to."""


def recipient_for(
    directory: DirectoryView, target: str, *, now: datetime | None = None
) -> Recipient:
    """``XA`` or ``XA/XA-CA`` (or ``XA/central_authority``) as a sealing recipient."""
    state, _, authority = target.partition("/")
    entry = _entry_in_effect(directory, state, now)
    if entry.node.age_recipient is None:
        raise RecipientError(f"{state}: its directory entry names no age recipient for evidence")
    code = None
    if authority:
        for listed in entry.authorities:
            listed_code = authority_code(state, listed.kind, listed.code)
            if authority in (listed_code, listed.kind):
                code = listed_code
        if code is None:
            raise RecipientError(f"{state} has no authority {authority!r} in its directory entry")
    return Recipient(state=state, authority=code, age_recipient=entry.node.age_recipient)


def directory_keys(directory: DirectoryView, state: str) -> KeysFor:
    """The sealing State's node keys that the directory says were valid at the sealing time."""

    def keys_for(kid: str, at: datetime | None) -> Sequence[Ed25519PublicKey]:
        return directory.signing_keys(state, kid, at or datetime.now(UTC))

    return keys_for


def keys_at_receipt(keys: KeysFor, received: datetime) -> KeysFor:
    """``keys``, kept only where a key valid at the sealing time is still valid at
    ``received`` (the receipt time, less the allowed clock skew; never before the sealing
    time): otherwise :class:`~hanoi.crypto.envelope_base.SignerKeyEnded`, naming the check."""

    def keys_for(kid: str, at: datetime | None) -> Sequence[Ed25519PublicKey]:
        sealed = at or received
        return keys_valid_at_receipt(
            keys(kid, sealed), lambda: keys(kid, max(sealed, received)), "package"
        )

    return keys_for


def given_keys(path: Path) -> KeysFor:
    """Keys from a file (JWK, the node's JWKS, or PEM), for verifying offline."""
    keys = load_public_keys(path)

    def keys_for(kid: str, at: datetime | None) -> Sequence[Ed25519PublicKey]:
        return [key for key in keys if kid_of(key) == kid]

    return keys_for


def _entry_in_effect(directory: DirectoryView, state: str, now: datetime | None) -> Entry:
    if not directory.is_pinned:
        raise RecipientError("this node has not pinned a directory: it knows no other node")
    entry = directory.entry(state, now)
    if entry is None:
        raise RecipientError(f"{state}: no entry in effect in this node's directory")
    return entry
