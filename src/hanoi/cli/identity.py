"""`hanoi node ...`: the node's identity (State, name, address) and its keys.

The keys themselves are managed by :class:`hanoi.crypto.KeyStore`; this module adds
``node.json`` beside them (State code, name, public URL and the current key ids) and turns
options into calls. Nothing printed here ever contains private key material.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from hanoi.cli.errors import CliUsageError, guarded
from hanoi.cli.files import write_atomic
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.crypto import KEY_KINDS, KeyKind, KeyStore
from hanoi.crypto.keys import format_time

NODE_FILE = "node.json"
MAX_NAME_CHARS = 200
MAX_URL_CHARS = 2048
MAX_GRACE_DAYS = 3650
_STATE = re.compile(r"[A-Z]{2}")

HOME_OPTION = typer.Option(
    None, "--home", help="Node folder (default $HANOI_HOME or ./hanoi-data)."
)
PASSPHRASE_OPTION = typer.Option(
    False,
    "--passphrase-stdin",
    help="Read the passphrase protecting the private keys from the first line of stdin.",
)

app = typer.Typer(help="This node's identity and keys.", no_args_is_help=True)


# --- node.json -----------------------------------------------------------------------------


def _node_path(home: Path) -> Path:
    return home / NODE_FILE


def read_node(home: Path) -> dict[str, Any]:
    """The node description in ``home/node.json``; a usage error if there is none."""
    path = _node_path(home)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliUsageError(f"no node identity in {home}: run 'hanoi node init'") from None
    except (ValueError, UnicodeDecodeError):
        raise CliUsageError(f"{path}: not readable JSON") from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("state", "name", "url")
    ):
        raise CliUsageError(f"{path}: state, name and url are missing")
    return data


def _write_node(home: Path, data: dict[str, Any], *, overwrite: bool) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_atomic(_node_path(home), text.encode("utf-8"), overwrite=overwrite)


def _current_kids(store: KeyStore) -> dict[str, str | None]:
    return {kind: store.active_kid(kind) for kind in KEY_KINDS}


def _refresh_node(home: Path, store: KeyStore) -> None:
    """Keep the key ids in node.json in step with the keyring after a change."""
    node = read_node(home)
    node["kids"] = _current_kids(store)
    _write_node(home, node, overwrite=True)


# --- checks of user input ------------------------------------------------------------------


def _check_state(state: str) -> str:
    if not _STATE.fullmatch(state):
        raise CliUsageError(f"--state must be two capital letters (ISO 3166), not {state!r:.20}")
    return state


def _check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise CliUsageError("--name cannot be empty")
    if len(cleaned) > MAX_NAME_CHARS or any(not c.isprintable() for c in cleaned):
        raise CliUsageError(f"--name must be printable text of at most {MAX_NAME_CHARS} characters")
    return cleaned


def _check_url(url: str) -> str:
    if len(url) > MAX_URL_CHARS or any(c.isspace() or not c.isprintable() for c in url):
        raise CliUsageError("--url must have no spaces or control characters, at most 2048")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise CliUsageError("--url is not a valid address") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CliUsageError("--url must be an http:// or https:// address with a host name")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise CliUsageError("--url has an invalid port")
    if parts.username is not None or parts.password is not None:
        raise CliUsageError("--url must hold no user name or password")
    if parts.fragment:
        raise CliUsageError("--url must have no #fragment")
    return url


def _check_kind(kind: str) -> KeyKind:
    for known in KEY_KINDS:
        if kind == known:
            return known
    raise CliUsageError(f"key kind must be signing or encryption, not {kind!r:.30}")


def _read_passphrase(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    line = sys.stdin.readline()
    passphrase = line.rstrip("\r\n")
    if not passphrase:
        raise CliUsageError("--passphrase-stdin: standard input holds no passphrase")
    return passphrase


# --- commands ------------------------------------------------------------------------------


@app.command("init")
@guarded
def init(
    state: str = typer.Option(..., "--state", help="ISO 3166 code of the State, e.g. XA."),
    name: str = typer.Option(..., "--name", help="Name of the node, e.g. 'Arcadia node'."),
    url: str = typer.Option(..., "--url", help="Public address, e.g. https://hanoi.xa.example."),
    home: Path | None = HOME_OPTION,
    passphrase_stdin: bool = PASSPHRASE_OPTION,
) -> None:
    """Create this node's keys and node.json; refuses if the node already has an identity."""
    node: dict[str, Any] = {
        "state": _check_state(state),
        "name": _check_name(name),
        "url": _check_url(url),
    }
    passphrase = _read_passphrase(passphrase_stdin)
    settings = load_settings(home)
    settings.ensure_home()
    if _node_path(settings.home).exists():
        raise CliUsageError(f"{settings.home} already has a node identity: refusing to replace it")
    store = KeyStore(settings.home)
    keyring = store.init(passphrase)
    node["kids"] = _current_kids(store)
    node["age_recipient"] = keyring.age.recipient
    node["created"] = format_time(keyring.age.created)
    _write_node(settings.home, node, overwrite=False)
    console.print(f"Node {node['state']} ({node['name']}) created in {settings.home}.")
    _print_kids(store)
    console.print(f"  age recipient:  {keyring.age.recipient}")
    if passphrase is None:
        console.print("Private keys are not passphrase-protected (see docs/identity.md).")


@app.command("show")
@guarded
def show(
    home: Path | None = HOME_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Public information about this node: State, address, key ids and statuses."""
    settings = load_settings(home)
    node = read_node(settings.home)
    store = KeyStore(settings.home)
    keyring = store.keyring()
    jwks = store.public_jwks()
    if as_json:
        print_json(
            {
                "state": node["state"],
                "name": node["name"],
                "url": node["url"],
                "kids": _current_kids(store),
                "age_recipient": keyring.age.recipient,
                "protected": keyring.protected,
                "jwks": jwks,
            }
        )
        return
    console.print(f"Node {node['state']} ({node['name']}) at {node['url']}")
    console.print(f"  age recipient: {keyring.age.recipient}")
    console.print(f"  passphrase-protected: {'yes' if keyring.protected else 'no'}")
    # One line per key, nothing cut short: a kid is copied from here into revoke-key.
    for key in jwks["keys"]:
        kind = "signing" if key.get("use") == "sig" else "encryption"
        line = f"  {kind:<10}  {key['kid']}  {key['status']:<7}  since {_short(key['created'])}"
        if "revoked_at" in key:
            line += f"  revoked {_short(key['revoked_at'])}"
        elif "not_after" in key:
            line += f"  verifies until {_short(key['not_after'])}"
        console.print(line)


@app.command("rotate-key")
@guarded
def rotate_key(
    kind: str = typer.Argument(..., help="signing or encryption."),
    grace_days: int = typer.Option(
        30, "--grace-days", help="Days the old key still verifies (0 to 3650)."
    ),
    home: Path | None = HOME_OPTION,
    passphrase_stdin: bool = PASSPHRASE_OPTION,
) -> None:
    """Make a new key of KIND; the old one stays valid for verifying during the grace days."""
    checked = _check_kind(kind)
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise CliUsageError(f"--grace-days must be between 0 and {MAX_GRACE_DAYS}")
    passphrase = _read_passphrase(passphrase_stdin)
    settings = load_settings(home)
    read_node(settings.home)
    store = KeyStore(settings.home)
    old = store.active_kid(checked)
    now = datetime.now(UTC)
    new = store.rotate(checked, timedelta(days=grace_days), now, passphrase=passphrase)
    _refresh_node(settings.home, store)
    console.print(f"New {checked} key: {new.kid}")
    if old is not None:
        until = format_time(now + timedelta(days=grace_days))
        use = "verifies" if checked == "signing" else "is still accepted"
        console.print(f"Old {checked} key {old} {use} until {until} (grace period).")


@app.command("revoke-key")
@guarded
def revoke_key(
    kid: str = typer.Argument(..., help="Key id (kid) of the key to revoke."),
    reason: str = typer.Option(..., "--reason", help="Why, for the keyring's record."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Revoke a key at once: nothing made from now on verifies with it."""
    settings = load_settings(home)
    read_node(settings.home)
    store = KeyStore(settings.home)
    record = store.revoke(kid, reason)
    _refresh_node(settings.home, store)
    console.print(f"Revoked {record.kind} key {record.kid}.")
    if store.active_kid(record.kind) is None:
        console.print(
            f"There is no active {record.kind} key now: run 'hanoi node rotate-key {record.kind}'."
        )


def _print_kids(store: KeyStore) -> None:
    for kind, kid in _current_kids(store).items():
        console.print(f"  {kind} key:{' ' * (12 - len(kind))}{kid}")


def _short(stamp: str) -> str:
    """An RFC 3339 time to the second, for people: 2026-11-05T09:30:00Z."""
    return stamp.split(".")[0].removesuffix("Z") + "Z"
