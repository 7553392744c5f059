"""`hanoi directory ...`: the signed directory of States.

Secretariat side: ``init``, ``add-state``, ``publish``, ``rotate-root`` work on
``<home>/secretariat``. State side: ``draft-entry`` fills a template with the node's
address and public keys, ``sign-entry`` signs the State's own entry with its node key.
Node side: ``trust``, ``refresh`` and ``show`` work on ``<home>/directory``. Verification
failures (a bad signature, a wrong delegation, a tampered file) exit 1 and name the file;
bad arguments and unreadable input exit 2.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hanoi.cli.context import AsJson, NodeHome
from hanoi.cli.errors import CliUsageError, guarded
from hanoi.cli.files import read_bounded, write_atomic
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.directory.client import DirectoryClient
from hanoi.directory.draft import check_own_entry
from hanoi.directory.draft import draft_entry as draft
from hanoi.directory.entry import Entry, parse_entry, utc_day
from hanoi.directory.keys import load_private_key, load_public_keys, node_signing_key
from hanoi.directory.repository import SecretariatRepository, metadata_version
from hanoi.directory.repository import sign_entry as sign
from hanoi.node import directory_keys, read_node
from hanoi.treaty.record import TreatyRecord
from hanoi.treaty.standing import Disagreement, disagreements, standing

app = typer.Typer()

#: Not a node's folder: the Secretariat's, which keeps the repository in secretariat/.
SecretariatHome = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="The Secretariat's folder; the repository lives in its secretariat/ (default "
        "$HANOI_HOME or ./hanoi-data).",
    ),
]
MAX_ENTRY_FILE = 256 * 1024
MAX_ROOT_FILE = 1024 * 1024


def _secretariat_folder(home: Path | None) -> Path:
    return load_settings(home).home / "secretariat"


def _node_home(home: Path | None) -> Path:
    return load_settings(home).home


# --- Secretariat -------------------------------------------------------------------------


@app.command("init")
@guarded
def init(
    home: SecretariatHome = None,
    root_keys: int = typer.Option(3, "--root-keys", help="How many root keys to create."),
    threshold: int = typer.Option(2, "--threshold", help="Root keys needed to sign a root."),
) -> None:
    """Create the Secretariat's repository: keys, root, targets, snapshot, timestamp."""
    settings = load_settings(home)
    settings.ensure_home()
    repo = SecretariatRepository.init(
        settings.home / "secretariat", root_keys=root_keys, threshold=threshold
    )
    console.print(f"Secretariat repository created in {repo.path}.")
    console.print(f"Serve {repo.repository_dir} as static files.")
    console.print(
        f"Nodes pin {repo.metadata_dir / '1.root.json'}; move the root keys in "
        f"{repo.keys_dir / 'root'} offline."
    )


@app.command("add-state")
@guarded
def add_state(
    code: str = typer.Argument(..., help="ISO 3166 code of the State, e.g. XA."),
    key: list[Path] = typer.Option(
        ..., "--key", help="Public key file (JWK, the node's JWKS, or PEM); repeatable."
    ),
    threshold: int = typer.Option(1, "--threshold", help="Signatures the State needs."),
    home: SecretariatHome = None,
) -> None:
    """Delegate states/CODE/* to the State's keys (again with new keys to rotate them)."""
    keys = [k for path in key for k in load_public_keys(path)]
    repo = SecretariatRepository(_secretariat_folder(home))
    delegation = repo.add_state(code, keys, threshold=threshold)
    console.print(
        f"{delegation.code} delegated to {len(delegation.keyids)} key(s), threshold "
        f"{delegation.threshold}: {', '.join(delegation.keyids)}. Publish to make it visible."
    )


@app.command("publish")
@guarded
def publish(
    incoming: list[Path] | None = typer.Option(
        None,
        "--incoming",
        help="A folder a State handed in (from sign-entry --out); repeatable. Default: "
        "the Secretariat's incoming/ folder.",
    ),
    home: SecretariatHome = None,
) -> None:
    """Check what the States signed and publish a new snapshot and timestamp."""
    repo = SecretariatRepository(_secretariat_folder(home))
    result = repo.publish(incoming or None)
    updated = ", ".join(result.updated) if result.updated else "no State"
    console.print(
        f"Published snapshot {result.snapshot_version}, timestamp {result.timestamp_version} "
        f"(new entries: {updated})."
    )


@app.command("rotate-root")
@guarded
def rotate_root(
    old_key: list[Path] | None = typer.Option(
        None, "--old-key", help="An old root key brought out for signing; repeatable."
    ),
    root_keys: int = typer.Option(3, "--root-keys", help="How many new root keys."),
    threshold: int = typer.Option(2, "--threshold", help="New root keys needed."),
    home: SecretariatHome = None,
) -> None:
    """Replace the root keys; the new root is signed by old and new keys alike."""
    repo = SecretariatRepository(_secretariat_folder(home))
    new = repo.rotate_root(old_key_files=old_key, new_keys=root_keys, threshold=threshold)
    console.print(f"Root version {repo.root().version} signed; new keys: {len(new)}.")


# --- a State -----------------------------------------------------------------------------


@app.command("draft-entry")
@guarded
def draft_entry(
    template: Path = typer.Argument(..., help="The entry's template (JSON), e.g. xa-entry.json."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the drafted entry."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    home: NodeHome = None,
) -> None:
    """Fill a template's node address and public keys from this node, ready to sign."""
    node_home = _node_home(home)
    node = read_node(node_home)
    drafted = draft(
        read_bounded(template, MAX_ENTRY_FILE),
        state=node.state,
        url=node.url,
        public_keys=directory_keys(node_home),
        age_recipient=node.age_recipient,
        source=str(template),
    )
    text = json.dumps(
        drafted.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False
    )
    write_atomic(out, (text + "\n").encode("utf-8"), overwrite=force)
    kids = ", ".join(k.kid for k in drafted.node.public_keys)
    console.print(
        f"{drafted.code} entry version {drafted.version} drafted in {out}: node "
        f"{drafted.node.url}, keys {kids}. Review it, then sign it with "
        "'hanoi directory sign-entry'."
    )


@app.command("sign-entry")
@guarded
def sign_entry(
    entry: Path = typer.Argument(..., help="The State's entry (JSON)."),
    home: NodeHome = None,
    key: Path | None = typer.Option(
        None, "--key", help="Ed25519 private key (PEM) instead of the node's own key."
    ),
    passphrase_stdin: bool = typer.Option(
        False, "--passphrase-stdin", help="Read the key's passphrase from standard input."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write into (default ./signed-CODE)."
    ),
    version: int | None = typer.Option(
        None, "--version", help="Metadata version (default: one above the node's copy)."
    ),
) -> None:
    """Sign this State's entry with its node key, ready to hand to the Secretariat."""
    parsed = parse_entry(read_bounded(entry, MAX_ENTRY_FILE), source=str(entry))
    passphrase = sys.stdin.readline().rstrip("\n") if passphrase_stdin else None
    node_home = _node_home(home)
    if key is not None:
        private = load_private_key(key, passphrase.encode() if passphrase else None)
        kid = None
    else:
        check_own_entry(parsed, read_node(node_home).state, source=str(entry))
        private, kid = node_signing_key(node_home, passphrase)
    folder = out if out is not None else Path(f"signed-{parsed.code}")
    if version is None:
        known = [DirectoryClient(node_home).role_version(parsed.code) or 0]
        previous = folder / f"states-{parsed.code}.json"
        if previous.is_file():
            known.append(metadata_version(previous.read_bytes()))
        version = max(known) + 1
    signed = sign(parsed, private, version=version, kid=kid)
    folder.mkdir(parents=True, exist_ok=True)
    written = signed.write(folder)
    console.print(
        f"{parsed.code} entry signed as {signed.metadata_name} version {signed.version}: "
        f"hand {folder} to the Secretariat ({', '.join(str(p) for p in written)})."
    )


# --- a node ------------------------------------------------------------------------------


@app.command("trust")
@guarded
def trust(
    root: Path = typer.Argument(..., help="The Secretariat's root metadata, got out of band."),
    url: str = typer.Option(..., "--url", help="Base URL of the directory repository."),
    home: NodeHome = None,
) -> None:
    """Pin the directory's root on this node (once; later roots must chain to it)."""
    client = DirectoryClient(_node_home(home), url=url)
    pinned = client.init(read_bounded(root, MAX_ROOT_FILE))
    console.print(f"Root version {pinned.version} pinned; directory at {url}.")


@app.command("refresh")
@guarded
def refresh(
    home: NodeHome = None,
    url: str | None = typer.Option(None, "--url", help="Repository URL (remembered)."),
) -> None:
    """Fetch and verify the directory; keep the last good copy if anything fails."""
    status = DirectoryClient(_node_home(home), url=url).refresh()
    states = ", ".join(status.states) if status.states else "none"
    console.print(
        f"Directory verified: root {status.root_version}, snapshot {status.snapshot_version}, "
        f"timestamp {status.timestamp_version}; States: {states}."
    )
    console.print(
        f"Treaty record verified: sha256 {status.treaty_record}."
        if status.treaty_record
        else "No treaty record published yet."
    )


@app.command("show")
@guarded
def show(
    code: str | None = typer.Argument(None, help="One State's code; all States if omitted."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Show the States in this node's verified copy of the directory (works offline).

    Entries not in effect today (UTC) are shown too, marked; with --json a
    warning for each goes to standard error, so standard output stays the entries
    as signed. Where an entry's treaty status disagrees with the depositary
    record the Secretariat published, the record wins, and the same is said:
    in the table, and with --json as a warning on standard error.
    """
    client = DirectoryClient(_node_home(home))
    today = utc_day()
    record = client.copy.treaty_record() if client.current.exists() else None
    if code is None:
        entries = client.verified_entries()
        if as_json:
            _warn_not_in_effect(entries, today)
            _warn_disagreements(entries, record, today)
            print_json([e.model_dump(mode="json", exclude_none=True) for e in entries])
            return
        table = Table(
            "Code", "Name", "Treaty", "Languages", "Channels", "Node", "Version", "In effect"
        )
        for e in entries:
            table.add_row(
                e.code,
                e.display_name() + (" (fictional)" if e.fictional else ""),
                _treaty_cell(e, record, today),
                ", ".join(e.languages),
                ", ".join(e.channels),
                e.node.url,
                str(e.version),
                e.effect_note(today) or "yes",
            )
        console.print(table)
        for e in entries:
            for found in _disagreements(e, record, today):
                console.print(f"RECORD WINS: {found.message}")
        status = client.status()
        console.print(
            f"Verified copy from {status.refreshed_at:%Y-%m-%d %H:%M} UTC; timestamp valid "
            f"until {status.timestamp_expires:%Y-%m-%d %H:%M} UTC."
        )
        console.print(_record_line(status.treaty_record))
        return
    entry = client.verified_entry(code)
    if entry is None:
        raise CliUsageError(f"{code}: no entry in this node's copy of the directory")
    if as_json:
        _warn_not_in_effect([entry], today)
        _warn_disagreements([entry], record, today)
        print_json(entry.model_dump(mode="json", exclude_none=True))
        return
    _print_entry(entry, today)
    for found in _disagreements(entry, record, today):
        console.print(f"RECORD WINS: {found.message}")
    console.print(_record_line(client.status().treaty_record))


def _disagreements(entry: Entry, record: TreatyRecord | None, today: date) -> list[Disagreement]:
    if record is None:
        return []
    return disagreements(entry.code, entry.treaty, record, today)


def _treaty_cell(entry: Entry, record: TreatyRecord | None, today: date) -> str:
    if record is None:
        return entry.treaty.status
    said = standing(record, entry.code, today).status
    if said == entry.treaty.status:
        return said
    return f"{said} (record; entry says {entry.treaty.status})"


def _warn_disagreements(entries: list[Entry], record: TreatyRecord | None, today: date) -> None:
    for e in entries:
        for found in _disagreements(e, record, today):
            print(f"warning: {found.message}", file=sys.stderr)


def _record_line(sha256: str | None) -> str:
    if sha256 is None:
        return (
            "No treaty record in this copy: the Secretariat has published none yet (requests "
            "are checked against the record shipped with Hanoi)."
        )
    return f"Treaty record: verified, sha256 {sha256}; where an entry disagrees, the record wins."


def _warn_not_in_effect(entries: list[Entry], today: date) -> None:
    for e in entries:
        note = e.effect_note(today)
        if note is not None:
            print(f"warning: {e.code}: {note} (today is {today}, UTC)", file=sys.stderr)


def _print_entry(entry: Entry, today: date) -> None:
    names = "; ".join(f"{lang}: {name}" for lang, name in entry.display_names().items())
    console.print(f"{entry.code} — {names}" + (" (fictional)" if entry.fictional else ""))
    note = entry.effect_note(today)
    if note is not None:
        console.print(
            f"NOT IN EFFECT: {note} (today is {today}, UTC); requests are not checked "
            "against this entry."
        )
    t = entry.treaty
    dates = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("signed", t.signed_on),
            (t.instrument or "instrument", t.instrument_deposited_on),
            ("in force", t.entry_into_force_on),
        )
        if value is not None
    )
    console.print(f"Treaty: {t.status} ({dates or 'no dates'}) [{t.confidence}]")
    console.print(
        f"Entry version {entry.version}, effective {entry.effective_from}"
        + (f" until {entry.valid_until}" if entry.valid_until else "")
    )
    console.print(f"Languages: {', '.join(entry.languages)}; channels: {', '.join(entry.channels)}")
    authorities = Table(
        "Kind", "Name", "Hours", "Time zone", "E-mail", "Phone", title="Authorities"
    )
    for a in entry.authorities:
        authorities.add_row(a.kind, a.name, a.hours, a.time_zone, a.email or "", a.phone or "")
    console.print(authorities)
    if entry.declarations:
        declarations = Table("Article", "Kind", "Confidence", "Text", title="Declarations")
        for d in entry.declarations:
            declarations.add_row(d.article, d.kind, d.confidence, d.text)
        console.print(declarations)
    keys = Table("kid", "Curve", "Use", title=f"Node {entry.node.url}")
    for k in entry.node.public_keys:
        keys.add_row(k.kid, k.crv, k.use or "")
    console.print(keys)
