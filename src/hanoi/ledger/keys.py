"""The names and keys of a node's log and of its witness, derived from its Ed25519 key.

A node holds one Ed25519 signing key (:mod:`hanoi.crypto.keys`), listed in its State's
directory entry. Its ledger and its witness use that same key under two names and two
signature types, so that anyone holding the directory can derive both public keys of any
node without a new field in the entry:

* the **log**: origin and note key name ``hanoi/<STATE>/ledger`` (e.g. ``hanoi/XA/ledger``),
  plain Ed25519 note signatures (type ``0x01``, :mod:`hanoi.crypto.note`). The checkpoint
  origin and the log key's name are the same string, as :func:`hanoi.ledger.store.
  sign_checkpoint` requires;
* the **witness**: cosigner key name ``hanoi/<STATE>/witness`` (e.g. ``hanoi/XB/witness``),
  ``cosignature/v1`` signatures (type ``0x04``, :mod:`hanoi.crypto.cosignature`).

Reusing the key is safe across these uses: the key hashes differ (name and type byte are
hashed in), a cosignature signs ``cosignature/v1\\ntime ...`` while a checkpoint starts
with the origin, and the node's JWS signatures cover base64url text without newlines.

For another State, :func:`log_verifiers_for_entry` and :func:`witness_verifiers_for_entry`
turn the Ed25519 keys its verified entry lists (active ones and those in their grace period,
neither revoked nor past ``not_after``) into verifiers; after a key rotation the old and new
keys both verify until the old one's grace period ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey

from hanoi.crypto.cosignature import CosignatureSigner, CosignatureVerifier
from hanoi.crypto.keys import KeyStore
from hanoi.crypto.note import Signer, Verifier
from hanoi.directory.entry import Entry, PublicKeyJwk
from hanoi.node import read_node

LOG_ORIGIN_TEMPLATE = "hanoi/{state}/ledger"
WITNESS_NAME_TEMPLATE = "hanoi/{state}/witness"
_STATE = re.compile(r"[A-Z]{2}")
_ORIGIN = re.compile(r"hanoi/([A-Z]{2})/ledger")
_WITNESS = re.compile(r"hanoi/([A-Z]{2})/witness")


def _state(state: str) -> str:
    if not isinstance(state, str) or not _STATE.fullmatch(state):
        raise ValueError(f"State code {str(state)[:10]!r} is not two upper-case letters")
    return state


def log_origin(state: str) -> str:
    """The origin of ``state``'s log, also its log key's name: ``hanoi/XA/ledger``."""
    return LOG_ORIGIN_TEMPLATE.format(state=_state(state))


def witness_name(state: str) -> str:
    """The cosigner key name of ``state``'s witness: ``hanoi/XB/witness``."""
    return WITNESS_NAME_TEMPLATE.format(state=_state(state))


def state_of_origin(origin: str) -> str | None:
    """The State whose log ``origin`` names, or ``None`` if it is no Hanoi log origin."""
    match = _ORIGIN.fullmatch(origin)
    return match.group(1) if match else None


def state_of_witness(name: str) -> str | None:
    """The State whose witness key ``name`` is, or ``None``."""
    match = _WITNESS.fullmatch(name)
    return match.group(1) if match else None


# --- from a public key ------------------------------------------------------------------------


def log_verifier(state: str, public_key: Ed25519PublicKey) -> Verifier:
    """The key checkpoints of ``state``'s log verify with."""
    return Verifier.for_key(log_origin(state), public_key)


def witness_verifier(state: str, public_key: Ed25519PublicKey) -> CosignatureVerifier:
    """The key ``state``'s witness cosignatures verify with."""
    return CosignatureVerifier.for_key(witness_name(state), public_key)


def usable_ed25519_keys(entry: Entry, now: datetime | None = None) -> list[Ed25519PublicKey]:
    """The Ed25519 keys ``entry`` lists that may verify at ``now``: active or in grace, not
    revoked, not past ``not_after``; active keys first."""
    moment = now or datetime.now(UTC)
    chosen = [k for k in entry.node.public_keys if k.crv == "Ed25519" and _usable(k, moment)]
    chosen.sort(key=lambda k: 0 if k.status in (None, "active") else 1)
    keys: list[Ed25519PublicKey] = []
    for record in chosen:
        raw = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": record.x}).public_key
        if isinstance(raw, Ed25519PublicKey):
            keys.append(raw)
    return keys


def _usable(key: PublicKeyJwk, at: datetime) -> bool:
    if key.status in ("retired", "revoked") or (
        key.revoked_at is not None and at >= key.revoked_at
    ):
        return False
    if key.created is not None and at < key.created:
        return False
    return key.not_after is None or at < key.not_after


def log_verifiers_for_entry(entry: Entry, now: datetime | None = None) -> list[Verifier]:
    """The log verifiers of the State ``entry`` describes (one per usable Ed25519 key)."""
    return [log_verifier(entry.code, key) for key in usable_ed25519_keys(entry, now)]


def witness_verifiers_for_entry(
    entry: Entry, now: datetime | None = None
) -> list[CosignatureVerifier]:
    """The witness cosigner verifiers of the State ``entry`` describes."""
    return [witness_verifier(entry.code, key) for key in usable_ed25519_keys(entry, now)]


# --- this node ----------------------------------------------------------------------------------


def _clock() -> int:
    return int(datetime.now(UTC).timestamp())


@dataclass(frozen=True)
class NodeLogKeys:
    """This node's State and private Ed25519 key, and what its log and witness sign with."""

    state: str
    signing_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        _state(self.state)
        if not isinstance(self.signing_key, Ed25519PrivateKey):
            raise TypeError("NodeLogKeys needs the node's Ed25519 private key")

    @classmethod
    def from_home(cls, home: Path, passphrase: str | None = None) -> NodeLogKeys:
        """The keys of the node in ``home`` (``node.json`` and its active signing key)."""
        return cls(read_node(home).state, KeyStore(home).signing_key(passphrase).key)

    @property
    def origin(self) -> str:
        return log_origin(self.state)

    @property
    def witness_name(self) -> str:
        return witness_name(self.state)

    def log_signer(self) -> Signer:
        """What this node signs its checkpoints with (its key name is the origin)."""
        return Signer.for_key(self.origin, self.signing_key)

    def log_verifier(self) -> Verifier:
        return log_verifier(self.state, self.signing_key.public_key())

    def witness_signer(self, clock: Callable[[], int] = _clock) -> CosignatureSigner:
        """What this node cosigns other States' checkpoints with."""
        return CosignatureSigner.for_key(self.witness_name, self.signing_key, clock)

    def witness_verifier(self) -> CosignatureVerifier:
        return witness_verifier(self.state, self.signing_key.public_key())


__all__ = [
    "LOG_ORIGIN_TEMPLATE",
    "WITNESS_NAME_TEMPLATE",
    "NodeLogKeys",
    "log_origin",
    "log_verifier",
    "log_verifiers_for_entry",
    "state_of_origin",
    "state_of_witness",
    "usable_ed25519_keys",
    "witness_name",
    "witness_verifier",
    "witness_verifiers_for_entry",
]
