"""`hanoi evidence ...`: seal files for another State, verify a package, open it, check the
blob store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from hanoi.cli.errors import EXIT_INVALID, fail, guarded
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings

app = typer.Typer(help="Electronic evidence: seal, verify, open.", no_args_is_help=True)

HOME_OPTION = typer.Option(
    None, "--home", help="The node's folder (default $HANOI_HOME or ./hanoi-data)."
)


@app.command()
@guarded
def seal(
    paths: list[Path] = typer.Argument(..., help="The files to seal, each read once."),
    to: str = typer.Option(..., "--to", help="The State to seal for: XA, or XA/XA-CA."),
    out: Path = typer.Option(..., "--out", help="The package folder to create."),
    request: str | None = typer.Option(None, "--request", help="The request it answers."),
    user: str = typer.Option(..., "--user", envvar="HANOI_USER", help="The sealing officer."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Seal files into a signed package only the recipient State's node can open."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from hanoi.accounts.service import get_user_by_username
    from hanoi.db import Database, upgrade
    from hanoi.db.base import utcnow
    from hanoi.evidence.ewf import is_ewf
    from hanoi.evidence.manifest import Sealer
    from hanoi.evidence.package import image_warnings, seal_package
    from hanoi.evidence.service import recipient_for
    from hanoi.exchange.identity import LocalNode

    settings = load_settings(home)
    node = LocalNode.load(settings.home)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            officer = get_user_by_username(session, user)
            if officer is None or officer.disabled:
                fail(f"no active user {user!r} at this node")
            authority = officer.authority.code
    finally:
        db.dispose()
    recipient = recipient_for(node.peers, to)
    # An EWF image is read twice, checked then sealed, and its progress counts both.
    total = sum(
        p.stat().st_size * (2 if is_ewf(p) else 1)
        for p in paths
        if p.is_file() and not p.is_symlink()
    )
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("sealing", total=total)
        done: dict[str, int] = {}

        def progress(name: str, read: int) -> None:
            done[name] = read
            bar.update(task, completed=sum(done.values()), description=name)

        manifest = seal_package(
            paths,
            out=out,
            recipient=recipient,
            sealer=Sealer(
                state=node.state, authority=authority, officer=user, node_kid=node.signing_key.kid
            ),
            signing_key=node.signing_key,
            request=request,
            now=utcnow(),
            progress=progress,
        )
    _warn(image_warnings(manifest))
    if as_json:
        print_json(manifest.model_dump(mode="json"))
        return
    console.print(f"Sealed {len(manifest.files)} file(s) for {recipient.state} into {out}:")
    for entry in manifest.files:
        image = entry.forensic_image
        note = ""
        if image is not None:
            note = "  EWF image, media data " + ("verified" if image.verified else "NOT verified")
        console.print(
            f"  {entry.payload_path}  {entry.name}  {entry.size} bytes  sha256 {entry.sha256}"
            + note
        )


@app.command()
@guarded
def verify(
    package: Path = typer.Argument(..., help="The package folder."),
    key: Path | None = typer.Option(
        None, "--key", help="The sealing node's public key (JWK, JWKS or PEM), for offline use."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Check a package without opening it: signature, manifest, every ciphertext hash.
    Exit 0 if it verifies, 1 naming the first file and check that fails."""
    from hanoi.evidence.package import PackageError, image_warnings, verify_package

    keys_for = _keys_for(package, key, home)
    try:
        verified = verify_package(package, keys_for=keys_for)
    except PackageError as exc:
        if as_json:
            print_json({"ok": False, "problem": str(exc)})
        else:
            console.print(f"{package}: DOES NOT VERIFY — {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    manifest = verified.manifest
    warnings = image_warnings(manifest)
    _warn(warnings)
    if as_json:
        print_json(
            {
                "ok": True,
                "signer_kid": verified.signer_kid,
                "manifest": manifest.model_dump(mode="json"),
                "warnings": warnings,
            }
        )
        return
    console.print(
        f"{package}: verified — sealed by {manifest.sealed_by.authority} "
        f"({manifest.sealed_by.officer}) at {manifest.sealed_at} for "
        f"{manifest.recipient.state}, {len(manifest.files)} file(s), "
        f"signed by key {verified.signer_kid}"
    )


@app.command("open")
@guarded
def open_(
    package: Path = typer.Argument(..., help="The package folder."),
    out: Path = typer.Option(..., "--out", help="The folder to create with the files."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Verify, then decrypt every file with this node's identity, re-checking each hash."""
    from hanoi.crypto.keys import KeyStore
    from hanoi.evidence.package import open_package

    settings = load_settings(home)
    identity = KeyStore(settings.home).age_identity()
    opened = open_package(
        package, identity=identity, out=out, keys_for=_keys_for(package, None, home)
    )
    console.print(f"Opened {len(opened)} file(s) into {out}; every SHA-256 matches the manifest.")


@app.command()
@guarded
def fsck(home: Path | None = HOME_OPTION) -> None:
    """Re-hash every blob of the node's store; exit 1 if any is damaged or misplaced."""
    from hanoi.evidence.blobs import BlobStore

    root = load_settings(home).home / "blobs"
    if not root.is_dir():
        console.print(f"{root}: no blob store yet; nothing to check.")
        return
    report = BlobStore(root).fsck()
    console.print(f"{report.checked} blob(s), {report.bytes_checked} bytes checked.")
    for path in report.damaged:
        console.print(f"DAMAGED   {path}")
    for path in report.misnamed:
        console.print(f"MISNAMED  {path}")
    for path in report.strays:
        console.print(f"STRAY     {path}")
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)


def _warn(lines: list[str]) -> None:
    # On stderr: seen in a terminal, and never mixed into --json output.
    for line in lines:
        print(f"warning: {line}", file=sys.stderr)


def _keys_for(package: Path, key: Path | None, home: Path | None) -> Any:
    from hanoi.evidence.service import directory_keys, given_keys
    from hanoi.exchange.peers import Peers

    if key is not None:
        return given_keys(key)
    # The sealing State named inside only picks whose keys must verify the signature.
    try:
        state = json.loads((package / "manifest.json").read_bytes())["sealed_by"]["state"]
    except (OSError, ValueError, KeyError, TypeError):
        state = ""
    if not isinstance(state, str) or len(state) != 2:
        return lambda kid, at: []
    return directory_keys(Peers(load_settings(home).home), state)
