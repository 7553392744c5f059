"""This node's description: which State it speaks for, its name, its public address, its keys.

``<home>/node.json`` sits beside the key store (``<home>/keys/``, see
:mod:`hanoi.crypto.keys`) and holds public information only::

    {"state": "XA", "name": "Arcadia node", "url": "https://hanoi.arcadia.example",
     "kids": {"signing": "...", "encryption": "..."}, "age_recipient": "age1...",
     "created": "2026-11-05T09:30:00Z"}

The CLI (``hanoi node``) and the directory (``hanoi directory draft-entry``, ``sign-entry``)
both read it through :func:`read_node`; it is written only through :func:`create_node`,
:func:`sync_kids` and :func:`write_node`. Imports nothing of ours but :mod:`hanoi.crypto` and
the leaf modules :mod:`hanoi.files` and :mod:`hanoi.errors`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from hanoi.crypto import KEY_KINDS, KeyKind, KeyStore
from hanoi.crypto.canonical import parse_json
from hanoi.crypto.keys import format_time
from hanoi.errors import InvalidInput, SetupError
from hanoi.files import FileTooLarge, create_file, read_bounded, replace_file

NODE_FILE = "node.json"
MAX_NODE_FILE_BYTES = 64 * 1024
MAX_NAME_CHARS = 200
MAX_URL_CHARS = 2048
_STATE = re.compile(r"[A-Z]{2}")


class NodeError(SetupError):
    """The node has no description, a damaged one, or one that cannot be replaced."""


class NodeFieldError(InvalidInput):
    """A value given for ``state``, ``name`` or ``url`` is not acceptable.

    ``field`` names the value, ``reason`` says why (``"must be two capital letters ..."``),
    so a caller can phrase it for its own options (``--state must be ...``).
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field} {reason}")


# --- checks shared by the model and by callers checking input early -----------------------


def check_state(state: str) -> str:
    if not _STATE.fullmatch(state):
        raise NodeFieldError("state", f"must be two capital letters (ISO 3166), not {state!r:.20}")
    return state


def check_name(name: str) -> str:
    """``name`` with runs of white space made single spaces."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise NodeFieldError("name", "cannot be empty")
    if len(cleaned) > MAX_NAME_CHARS or any(not c.isprintable() for c in cleaned):
        raise NodeFieldError(
            "name", f"must be printable text of at most {MAX_NAME_CHARS} characters"
        )
    return cleaned


def check_url(url: str) -> str:
    """An ``http://`` or ``https://`` address with a host, no credentials, no fragment."""
    if len(url) > MAX_URL_CHARS or any(c.isspace() or not c.isprintable() for c in url):
        raise NodeFieldError(
            "url", f"must have no spaces or control characters, at most {MAX_URL_CHARS}"
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise NodeFieldError("url", "is not a valid address") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise NodeFieldError("url", "must be an http:// or https:// address with a host name")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise NodeFieldError("url", "has an invalid port")
    if parts.username is not None or parts.password is not None:
        raise NodeFieldError("url", "must hold no user name or password")
    if parts.fragment:
        raise NodeFieldError("url", "must have no #fragment")
    return url


# --- the model -------------------------------------------------------------------------------


class NodeInfo(BaseModel):
    """The content of ``node.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: str
    name: str
    url: str
    kids: dict[KeyKind, str | None]
    age_recipient: str | None = None
    created: str | None = None

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        return _as_value_error(check_state, value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _as_value_error(check_name, value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _as_value_error(check_url, value)

    def to_json_bytes(self) -> bytes:
        text = json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


def _as_value_error(check: Any, value: str) -> str:
    try:
        result: str = check(value)
    except NodeFieldError as exc:
        raise ValueError(exc.reason) from None
    return result


# --- reading and writing node.json ---------------------------------------------------------


def node_path(home: Path) -> Path:
    return home / NODE_FILE


def has_node(home: Path) -> bool:
    return node_path(home).exists()


def read_node(home: Path) -> NodeInfo:
    """The node description in ``home/node.json``; :class:`NodeError` if missing or damaged."""
    path = node_path(home)
    try:
        data = read_bounded(path, MAX_NODE_FILE_BYTES)
    except FileNotFoundError:
        raise NodeError(f"no node identity in {home}: run 'hanoi node init'") from None
    except FileTooLarge:
        raise NodeError(f"{path}: larger than {MAX_NODE_FILE_BYTES:,} bytes") from None
    try:
        raw = parse_json(data)
    except ValueError:
        raise NodeError(f"{path}: not readable JSON") from None
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), str) for k in ("state", "name", "url")
    ):
        raise NodeError(f"{path}: state, name and url are missing")
    raw.setdefault("kids", {})
    try:
        return NodeInfo.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise NodeError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def write_node(home: Path, info: NodeInfo, *, overwrite: bool) -> None:
    """Write ``node.json`` atomically (0600); without ``overwrite`` never replace one."""
    path = node_path(home)
    if overwrite:
        replace_file(path, info.to_json_bytes())
        return
    try:
        create_file(path, info.to_json_bytes())  # fails if another writer got there first
    except FileExistsError:
        raise NodeError(f"{home} already has a node identity: refusing to replace it") from None


def current_kids(store: KeyStore) -> dict[KeyKind, str | None]:
    return {kind: store.active_kid(kind) for kind in KEY_KINDS}


def create_node(
    home: Path, *, state: str, name: str, url: str, passphrase: str | None = None
) -> NodeInfo:
    """Make the node's keys and ``node.json`` in ``home`` (which must exist).

    Refuses (:class:`NodeError`) when ``home`` already has a ``node.json``; the key store
    itself refuses when keys are already there, so keys are never replaced by accident.
    """
    state, name, url = check_state(state), check_name(name), check_url(url)
    if has_node(home):
        raise NodeError(f"{home} already has a node identity: refusing to replace it")
    store = KeyStore(home)
    keyring = store.init(passphrase)
    info = NodeInfo(
        state=state,
        name=name,
        url=url,
        kids=current_kids(store),
        age_recipient=keyring.age.recipient,
        created=format_time(keyring.age.created),
    )
    write_node(home, info, overwrite=False)
    return info


def sync_kids(home: Path, store: KeyStore | None = None) -> NodeInfo:
    """Bring the key ids in ``node.json`` in step with the keyring after a key change."""
    info = read_node(home)
    updated = info.model_copy(update={"kids": current_kids(store or KeyStore(home))})
    write_node(home, updated, overwrite=True)
    return updated


def directory_keys(home: Path, now: datetime | None = None) -> list[dict[str, Any]]:
    """The node's public keys that belong in its directory entry, with status and dates.

    Active keys and keys in their grace period (which still verify older signatures or
    still receive); retired and revoked keys are left out. Public members only.
    """
    return [
        key
        for key in KeyStore(home).public_jwks(now)["keys"]
        if key.get("status") in ("active", "grace")
    ]
