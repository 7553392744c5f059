"""This node as the exchange sees it: its State, its keys in memory, and its peers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanoi.crypto.keys import KeyStore, SigningKey
from hanoi.directory.view import DirectoryView
from hanoi.exchange.peers import Peers
from hanoi.node import read_node

PASSPHRASE_ENV = "HANOI_KEY_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)


@dataclass(frozen=True)
class LocalNode:
    home: Path
    state: str
    url: str
    signing_key: SigningKey
    decryption_keys: Mapping[str, X25519PrivateKey]
    peers: Peers

    @property
    def directory(self) -> DirectoryView:
        """The node's verified directory, which its peers are read from."""
        return self.peers.directory

    @classmethod
    def load(cls, home: Path, passphrase: str | None = None) -> LocalNode:
        """Read ``node.json`` and open the keys once; a protected key store needs its
        passphrase (argument, else the ``HANOI_KEY_PASSPHRASE`` environment variable)."""
        info = read_node(home)
        store = KeyStore(home)
        secret = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
        decryption: dict[str, X25519PrivateKey] = {}
        for record in store.records():
            # Older keys still open what peers sealed before they saw a rotation.
            if record.kind == "encryption" and record.status in ("active", "grace"):
                decryption[record.kid] = store.encryption_key(secret, kid=record.kid).key
        return cls(
            home=home,
            state=info.state,
            url=info.url,
            signing_key=store.signing_key(secret),
            decryption_keys=decryption,
            peers=Peers(home),
        )
