"""Other States' nodes, as the verified directory describes them.

Everything a node needs to talk to a peer comes from the signed directory and nothing else:
where its node answers, the X25519 key to encrypt to, and the Ed25519 keys allowed to sign
for it at a given time. The entries are read once per directory refresh and UTC day.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.jwk import OKPKey

from hanoi.crypto.envelope import SignerKeys
from hanoi.directory.client import DirectoryClient
from hanoi.directory.entry import Entry, PublicKeyJwk, utc_day
from hanoi.directory.errors import DirectoryCacheError
from hanoi.exchange.errors import NoDirectory, UnknownPeer

FEDERATION_PATH = "/federation/v1/messages"

#: Authority codes by kind, for entries that do not give an authority its own code.
AUTHORITY_SUFFIX = {
    "central_authority": "CA",
    "point_of_contact_24_7": "247",
    "extradition_authority": "EXT",
    "competent_authority": "CMP",
}


@dataclass(frozen=True)
class Peer:
    state: str
    url: str
    encryption_key: OKPKey

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + FEDERATION_PATH


def authority_code(state: str, kind: str, code: str | None = None) -> str:
    """The code a message addresses an authority by: its own, or ``XB-CA``-style by kind."""
    return code or f"{state}-{AUTHORITY_SUFFIX[kind]}"


class Peers:
    """The States this node can exchange with, from its verified directory copy."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def entries(self, now: datetime | None = None) -> dict[str, Entry]:
        client = DirectoryClient(self.home)
        if not client.is_pinned:
            raise NoDirectory("this node has not pinned a directory: it knows no other node")
        status = client.current / "status.json"
        stamp = status.stat().st_mtime_ns if status.exists() else 0
        return _entries_in_effect(self.home, stamp, utc_day(now))

    def entry(self, state: str, now: datetime | None = None) -> Entry:
        found = self.entries(now).get(state)
        if found is None:
            raise UnknownPeer(f"{state}: no entry in effect in this node's directory")
        return found

    def peer(self, state: str, now: datetime | None = None) -> Peer:
        """Where to send to ``state`` and the key to encrypt to (its active X25519 key)."""
        entry = self.entry(state, now)
        keys = [k for k in entry.node.public_keys if k.crv == "X25519" and _usable(k, now)]
        active = [k for k in keys if k.status in (None, "active")] or keys
        if not active:
            raise UnknownPeer(f"{state}: its directory entry lists no encryption key in use")
        jwk: dict[str, str | list[str]] = {"kty": "OKP", "crv": "X25519", "x": active[0].x}
        return Peer(state=state, url=entry.node.url, encryption_key=OKPKey.import_key(jwk))

    def signer_keys(self) -> SignerKeys:
        """A :data:`SignerKeys` over the directory: the keys a State's entry lists for
        signing, valid at the signing time (created, not past ``not_after``, not revoked)."""

        def lookup(state: str, kid: str, signed_at: datetime) -> list[Ed25519PublicKey]:
            try:
                entry = self.entries().get(state)
            except (NoDirectory, DirectoryCacheError):
                return []
            if entry is None:
                return []
            found = []
            for key in entry.node.public_keys:
                if key.crv == "Ed25519" and key.kid == kid and _valid_at(key, signed_at):
                    public = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": key.x})
                    raw = public.public_key
                    if isinstance(raw, Ed25519PublicKey):
                        found.append(raw)
            return found

        return lookup


def _valid_at(key: PublicKeyJwk, at: datetime) -> bool:
    if key.status == "revoked" and key.revoked_at is None:
        return False
    if key.created is not None and at < key.created:
        return False
    if key.not_after is not None and at >= key.not_after:
        return False
    return key.revoked_at is None or at < key.revoked_at


def _usable(key: PublicKeyJwk, now: datetime | None) -> bool:
    if key.status in ("retired", "revoked"):
        return False
    return now is None or key.not_after is None or now < key.not_after


@functools.lru_cache(maxsize=8)
def _entries_in_effect(home: Path, stamp: int, day: date) -> dict[str, Entry]:
    # Keyed by the refresh stamp and the UTC day: a refresh or midnight reads them again.
    try:
        entries = DirectoryClient(home).verified_entries()
    except DirectoryCacheError:
        return {}
    return {e.code: e for e in entries if e.in_effect(day)}
