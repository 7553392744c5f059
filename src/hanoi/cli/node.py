"""`hanoi node ...`: the node's identity (State, name, address) and its keys.

The keys are managed by :class:`hanoi.crypto.KeyStore` and ``node.json`` by
:mod:`hanoi.node`; this module only turns options into calls and prints the results.
Nothing printed here ever contains private key material.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from hanoi.cli.arguments import DashedArguments
from hanoi.cli.context import AsJson, NodeHome, open_database
from hanoi.cli.errors import EXIT_INVALID, CliUsageError, fail, guarded
from hanoi.cli.files import write_atomic
from hanoi.cli.output import console, print_json
from hanoi.config import Settings, load_settings
from hanoi.crypto.keys import KEY_KINDS, KeyKind, KeyStore, format_time
from hanoi.node import (
    check_name,
    check_state,
    check_url,
    create_node,
    current_kids,
    read_node,
    sync_kids,
)

MAX_GRACE_DAYS = 3650

PASSPHRASE_OPTION = typer.Option(
    False,
    "--passphrase-stdin",
    help="Read the passphrase protecting the private keys from the first line of stdin.",
)

app = typer.Typer()


# --- checks of user input ------------------------------------------------------------------


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
    home: NodeHome = None,
    passphrase_stdin: bool = PASSPHRASE_OPTION,
) -> None:
    """Create this node's keys and node.json; refuses if the node already has an identity."""
    # Checked before anything is created, so bad options leave no folder behind.
    check_state(state)
    check_name(name)
    check_url(url)
    passphrase = _read_passphrase(passphrase_stdin)
    settings = load_settings(home)
    settings.ensure_home()
    node = create_node(settings.home, state=state, name=name, url=url, passphrase=passphrase)
    console.print(f"Node {node.state} ({node.name}) created in {settings.home}.")
    _print_kids(KeyStore(settings.home))
    console.print(f"  age recipient:  {node.age_recipient}")
    if passphrase is None:
        console.print("Private keys are not passphrase-protected (see docs/identity.md).")


@app.command("show")
@guarded
def show(
    home: NodeHome = None,
    as_json: AsJson = False,
    jwks_only: bool = typer.Option(
        False,
        "--jwks",
        help="Print only the public JWK Set (every key with its status), the file the "
        "Secretariat delegates to with 'hanoi directory add-state --key'.",
    ),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="With --jwks: write the JWK Set to this file."
    ),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
) -> None:
    """Public information about this node: State, address, key ids and statuses."""
    if out is not None and not jwks_only:
        raise CliUsageError("-o/--out writes the JWK Set: use it with --jwks")
    settings = load_settings(home)
    node = read_node(settings.home)
    store = KeyStore(settings.home)
    keyring = store.keyring()
    jwks = store.public_jwks()
    if jwks_only:
        if out is None:
            print_json(jwks)
            return
        text = json.dumps(jwks, indent=2, ensure_ascii=False) + "\n"
        write_atomic(out, text.encode("utf-8"), overwrite=force)
        usable = sum(1 for k in jwks["keys"] if k["status"] in ("active", "grace"))
        console.print(
            f"Public keys of {node.state} written to {out} ({len(jwks['keys'])} key(s), "
            f"{usable} active or in grace); no private key is in it."
        )
        return
    if as_json:
        print_json(
            {
                "state": node.state,
                "name": node.name,
                "url": node.url,
                "kids": current_kids(store),
                "age_recipient": keyring.age.recipient,
                "protected": keyring.protected,
                "jwks": jwks,
            }
        )
        return
    console.print(f"Node {node.state} ({node.name}) at {node.url}")
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
    home: NodeHome = None,
    passphrase_stdin: bool = PASSPHRASE_OPTION,
) -> None:
    """Make a new key of KIND; the old one stays valid for verifying during the grace days.

    Logged in the node's ledger (key-rotation) and audit trail; exit 1 if
    that fails, and then 'hanoi node log-key-changes' logs it once the
    database is back."""
    from hanoi.ledger.events import rotation_detail  # the ledger: see _log_key_change

    checked = _check_kind(kind)
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise CliUsageError(f"--grace-days must be between 0 and {MAX_GRACE_DAYS}")
    passphrase = _read_passphrase(passphrase_stdin)
    settings = load_settings(home)
    node = read_node(settings.home)
    store = KeyStore(settings.home)
    old = store.active_kid(checked)
    now = datetime.now(UTC)
    grace_until = now + timedelta(days=grace_days)
    new = store.rotate(checked, timedelta(days=grace_days), now, passphrase=passphrase)
    sync_kids(settings.home, store)
    console.print(f"New {checked} key: {new.kid}")
    if old is not None:
        use = "verifies" if checked == "signing" else "is still accepted"
        console.print(
            f"Old {checked} key {old} {use} until {format_time(grace_until)} (grace period)."
        )
    detail = rotation_detail(checked, old, new.kid, grace_until if old is not None else None)
    _log_key_change(settings, node.state, detail, now, f"the {checked} key was rotated")


@app.command("revoke-key", cls=DashedArguments)
@guarded
def revoke_key(
    kid: str = typer.Argument(..., help="Key id (kid) of the key to revoke."),
    reason: str = typer.Option(..., "--reason", help="Why, for the keyring's record."),
    home: NodeHome = None,
) -> None:
    """Revoke a key at once: nothing made from now on verifies with it.

    Logged in the node's ledger (key-rotation) and audit trail; exit 1 if
    that fails, and then 'hanoi node log-key-changes' logs it once the
    database is back."""
    from hanoi.ledger.events import revocation_detail  # the ledger: see _log_key_change

    settings = load_settings(home)
    node = read_node(settings.home)
    store = KeyStore(settings.home)
    record = store.revoke(kid, reason)
    sync_kids(settings.home, store)
    console.print(f"Revoked {record.kind} key {record.kid}.")
    if store.active_kid(record.kind) is None:
        console.print(
            f"There is no active {record.kind} key now: run 'hanoi node rotate-key {record.kind}'."
        )
    # The keyring keeps the reason with its whitespace collapsed: log exactly that.
    detail = revocation_detail(record.kind, record.kid, record.revocation_reason or reason)
    at = record.revoked_at or datetime.now(UTC)
    _log_key_change(settings, node.state, detail, at, f"{record.kind} key {record.kid} was revoked")


@app.command("log-key-changes")
@guarded
def log_key_changes(home: NodeHome = None) -> None:
    """Log the keyring's changes that the ledger and audit trail lack.

    What rotate-key or revoke-key could not log while the database was down,
    read back from the keyring; running it again logs nothing."""
    from hanoi.ledger.events import log_missing_key_events  # the ledger: see _log_key_change

    settings = load_settings(home)
    node = read_node(settings.home)
    store = KeyStore(settings.home)
    with open_database(settings) as db:
        logged = log_missing_key_events(db, node.state, store, actor="cli")
    if not logged:
        console.print("Every key change of the keyring is in the ledger.")
        return
    for detail in logged:
        console.print(f"Logged: {_describe(detail)}")
    console.print(
        f"{len(logged)} key change(s) recorded in the node's ledger (key-rotation entries) "
        "and audit trail."
    )


def _log_key_change(
    settings: Settings, state: str, detail: Mapping[str, Any], at: datetime, done: str
) -> None:
    """Record a key change, already made in the keyring, in the node's ledger and audit trail.

    The keyring is changed first so that a database outage never blocks an urgent
    revocation; the price is that this step can fail after the fact, and then the operator
    must be told plainly that the change stands but is missing from the log (exit 1).
    """
    # The ledger (and with it the database) is loaded by the commands that change keys:
    # `hanoi node init` and `show` do not use it, and would pay a third of a second for it.
    from hanoi.ledger.events import log_key_event

    try:
        with open_database(settings) as db:
            log_key_event(db, state, detail, at, actor="cli")
    except Exception as exc:  # whatever went wrong, the key change must not go unreported
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
        # Repeating the command would change the keys again: point to the command that
        # records this change from the keyring instead. The detail stays, for the record.
        fail(
            f"{done} (the keyring keeps the change) but it was NOT recorded in the node's "
            f"ledger or audit trail: {reason}. Do not repeat the command: once the database "
            f"is back, run 'hanoi node log-key-changes' to record it. Entry detail: "
            f"{json.dumps(dict(detail), sort_keys=True)}",
            EXIT_INVALID,
        )
    console.print("Recorded in the node's ledger (key-rotation entry) and audit trail.")


def _describe(detail: Mapping[str, Any]) -> str:
    """One line for an operator about a key change, from its ledger detail."""
    kind = detail.get("key_kind")
    if detail.get("event") == "revoke":
        return f"{kind} key {detail.get('kid')} revoked ({detail.get('reason')})"
    line = f"{kind} key rotated to {detail.get('new_kid')}"
    if detail.get("old_kid") is not None:
        line += f", old key {detail['old_kid']} in grace until {detail.get('grace_until')}"
    return line


def _print_kids(store: KeyStore) -> None:
    for kind, kid in current_kids(store).items():
        console.print(f"  {kind} key:{' ' * (12 - len(kind))}{kid}")


def _short(stamp: str) -> str:
    """An RFC 3339 time to the second, for people: 2026-11-05T09:30:00Z."""
    return stamp.split(".")[0].removesuffix("Z") + "Z"
