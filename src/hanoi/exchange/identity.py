"""This node as the exchange sees it: its State, its keys in memory, and its peers.

The keys are opened when the node is loaded, so a command fails at once on a key store it
cannot open. The peers (the verified directory's entries, and the envelope's JOSE keys)
are made when first asked for: a command that only reads its own database, such as
`hanoi request list`, never loads them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanoi.crypto.keys import KeyStore, SigningKey
from hanoi.node import read_node

if TYPE_CHECKING:
    from hanoi.directory.view import DirectoryView
    from hanoi.exchange.peers import Peers

PASSPHRASE_ENV = "HANOI_KEY_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)


@dataclass(frozen=True)
class LocalNode:
    home: Path
    state: str
    url: str
    signing_key: SigningKey
    decryption_keys: Mapping[str, X25519PrivateKey]

    @functools.cached_property
    def peers(self) -> Peers:
        """The States this node can exchange with, from its verified directory copy."""
        from hanoi.exchange.peers import Peers  # see the module docstring

        return Peers(self.home)

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
        )
