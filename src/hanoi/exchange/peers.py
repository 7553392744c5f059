"""Other States' nodes, as the verified directory describes them.

Everything a node needs to talk to a peer comes from the signed directory and nothing else:
where its node answers, the X25519 key to encrypt to, and the Ed25519 keys allowed to sign
for it at a given time. The entries come from :class:`hanoi.directory.view.DirectoryView`,
which reads them once per directory refresh and UTC day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hanoi.crypto.envelope_base import SignerKeys
from hanoi.directory.entry import Entry, PublicKeyJwk
from hanoi.directory.view import DirectoryView
from hanoi.exchange.errors import NoDirectory, UnknownPeer

if TYPE_CHECKING:
    from joserfc.jwk import OKPKey

FEDERATION_PATH = "/federation/v1/messages"


@dataclass(frozen=True)
class Peer:
    state: str
    url: str
    encryption_key: OKPKey

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + FEDERATION_PATH


class Peers:
    """The States this node can exchange with, from its verified directory copy."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.directory = DirectoryView(home)

    def entries(self, now: datetime | None = None) -> dict[str, Entry]:
        if not self.directory.is_pinned:
            raise NoDirectory("this node has not pinned a directory: it knows no other node")
        return self.directory.entries(now)

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
        # JOSE only to send: reading the directory (a seal's recipient) loads no joserfc.
        from joserfc.jwk import OKPKey

        jwk: dict[str, str | list[str]] = {"kty": "OKP", "crv": "X25519", "x": active[0].x}
        return Peer(state=state, url=entry.node.url, encryption_key=OKPKey.import_key(jwk))

    def signer_keys(self) -> SignerKeys:
        """A :data:`SignerKeys` over the directory: the keys a State's entry lists for
        signing, valid at the signing time (created, not past ``not_after``, not revoked)."""
        return self.directory.signing_keys


def _usable(key: PublicKeyJwk, now: datetime | None) -> bool:
    if key.status in ("retired", "revoked"):
        return False
    return now is None or key.not_after is None or now < key.not_after
