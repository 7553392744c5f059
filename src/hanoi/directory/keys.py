"""Ed25519 keys as the directory sees them: the key files they arrive in.

This module reads the forms keys arrive in (a public JWK, a node's public JWKS, a PEM public
key, a PEM private key); the JWK itself (base64url, thumbprint, key to JWK and back) is
:mod:`hanoi.crypto.jwk`'s, and the keys as TUF keys and signers are
:mod:`hanoi.directory.repository`'s (:func:`~hanoi.directory.repository.tuf_key`), so that
reading a key file (to verify evidence offline, say) does not load python-tuf's signers.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from hanoi.crypto.canonical import parse_json
from hanoi.crypto.jwk import ed25519_from_jwk
from hanoi.directory.errors import KeyFileError
from hanoi.files import FileTooLarge, read_bounded

MAX_KEY_FILE_BYTES = 64 * 1024


def load_public_keys(path: Path) -> list[Ed25519PublicKey]:
    """Ed25519 public keys from a public JWK, a JWKS (its Ed25519 keys) or a PEM file."""
    data = _read_key_file(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            loaded = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise KeyFileError(f"{path}: not a PEM public key") from None
        if not isinstance(loaded, Ed25519PublicKey):
            raise KeyFileError(f"{path}: not an Ed25519 public key")
        return [loaded]
    try:
        doc = parse_json(data)
    except ValueError:
        raise KeyFileError(f"{path}: neither a PEM key nor a JSON Web Key") from None
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
        # A node's key set also lists retired and revoked keys: those never speak again.
        candidates = [
            k
            for k in doc["keys"]
            if isinstance(k, dict)
            and k.get("crv") == "Ed25519"
            and k.get("status") not in ("retired", "revoked")
        ]
        if not candidates:
            raise KeyFileError(f"{path}: the key set holds no usable Ed25519 key")
    elif isinstance(doc, dict):
        candidates = [doc]
    else:
        raise KeyFileError(f"{path}: neither a JWK nor a JWK set")
    keys: list[Ed25519PublicKey] = []
    for jwk in candidates:
        if jwk.get("status") in ("retired", "revoked"):
            raise KeyFileError(f"{path}: the key is {jwk['status']}")
        try:
            keys.append(ed25519_from_jwk(jwk))
        except ValueError as exc:
            raise KeyFileError(f"{path}: {exc}") from None
    return keys


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PKCS#8 PEM file."""
    data = _read_key_file(path)
    try:
        loaded = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        raise KeyFileError(f"{path}: the key is encrypted: a passphrase is needed") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{path}: not a PEM private key, or a wrong passphrase") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return loaded


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def node_signing_key(home: Path, passphrase: str | None = None) -> tuple[Ed25519PrivateKey, str]:
    """The node's own signing key and ``kid``, from ``hanoi.crypto``'s key store.

    ``hanoi.crypto`` is built separately; until it is installed, callers pass a key file.
    """
    try:
        module = importlib.import_module("hanoi.crypto.keys")
    except ImportError:
        raise KeyFileError(
            "this installation has no node key store (hanoi.crypto); pass the key with --key"
        ) from None
    store: Any = module.KeyStore(home)
    key, kid = store.signing_key(passphrase=passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{home}: the node's signing key is not an Ed25519 key")
    return key, str(kid)


def _read_key_file(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_KEY_FILE_BYTES)
    except FileTooLarge:
        raise KeyFileError(f"{path}: too large for a key file") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
