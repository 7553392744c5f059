"""`hanoi evidence ...`: seal files for another State, deliver them for a request, verify a
package, open it, check the blob store.

Sealing a large file keeps its buffers on top of every module the process imported, and
its peak memory must stay under 100 MB (docs/benchmarks.md): so what is imported here is
what `seal --to` needs (the package, the node), and the request's domain is imported by
the commands and the form that use it: `seal --request` the request's sealing rules,
`deliver`, `list` and `open --request` the delivery (blob store, uploads, the ledger's
proofs and witnesses, an HTTP client).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hanoi.cli.context import (
    ActingUser,
    AsJson,
    NodeContext,
    NodeHome,
    OptionalUser,
    open_node,
)
from hanoi.cli.errors import EXIT_INVALID, fail, guarded
from hanoi.cli.lazy import code_loading
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.crypto.keys import KeyStore
from hanoi.directory.view import DirectoryView
from hanoi.evidence.blobs import BlobStore
from hanoi.evidence.ewf import is_ewf
from hanoi.evidence.manifest import Sealer
from hanoi.evidence.package import (
    PackageError,
    claimed_sealer,
    image_warnings,
    open_package,
    seal_package,
    verify_package,
)
from hanoi.evidence.service import KeysFor, directory_keys, given_keys, recipient_for

if TYPE_CHECKING:
    from rich.progress import Progress

    from hanoi.evidence.models import EvidencePackage

app = typer.Typer()


@app.command()
@guarded
def seal(
    paths: list[Path] = typer.Argument(..., help="The files to seal, each read once."),
    to: str | None = typer.Option(
        None, "--to", help="The State to seal for: XA, or XA/XA-CA (default: the request's)."
    ),
    out: Path = typer.Option(..., "--out", help="The package folder to create."),
    request: str | None = typer.Option(
        None, "--request", help="The request it answers; seals for the State that made it."
    ),
    *,
    user: ActingUser,
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Seal files into a signed package only the recipient State's node can open."""
    if to is None and request is None:
        fail("name the request it answers (--request REF) or the State to seal for (--to XA)")
    with open_node(home) as context:
        officer = context.acting_user(user)
        if to is None:
            assert request is not None
            # The request's sealing rules (and the case store), without delivery's: only
            # this form needs them, and --to seals lighter without.
            with code_loading():
                from hanoi.cases.evidence_seal import seal_for_request

            with _progress(paths, "sealing", disable=as_json) as progress:
                manifest = seal_for_request(
                    context.db,
                    context.node,
                    user=officer,
                    reference=request,
                    sources=paths,
                    out=out,
                    progress=progress,
                )
        else:
            node = context.node
            with _progress(paths, "sealing", disable=as_json) as progress:
                manifest = seal_package(
                    paths,
                    out=out,
                    recipient=recipient_for(node.directory, to),
                    sealer=Sealer(
                        state=node.state,
                        authority=officer.authority.code,
                        officer=user,
                        node_kid=node.signing_key.kid,
                    ),
                    signing_key=node.signing_key,
                    request=request,
                    now=datetime.now(UTC),
                    progress=progress,
                )
    _warn(image_warnings(manifest))
    if as_json:
        print_json(manifest.model_dump(mode="json"))
        return
    recipient = manifest.recipient.authority or manifest.recipient.state
    console.print(f"Sealed {len(manifest.files)} file(s) for {recipient} into {out}:")
    for entry in manifest.files:
        image = entry.forensic_image
        note = ""
        if image is not None:
            note = "  EWF image, media data " + ("verified" if image.verified else "NOT verified")
        console.print(
            f"  {entry.payload_path}  {entry.name}  {entry.size} bytes  sha256 {entry.sha256}"
            + note
        )
    if request is not None:
        console.print(f"Deliver it with: hanoi evidence deliver {out} --request {request}")


def _byte_bar(disable: bool) -> Progress:
    """A transient bar of bytes done, with the speed (sealing, uploading)."""
    # Rich's live display and its columns only where a bar is made: see _progress.
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        disable=disable,
    )


@contextlib.contextmanager
def _progress(
    paths: list[Path], what: str, *, disable: bool
) -> Iterator[Callable[[str, int], None]]:
    """A progress bar over the files' bytes; the callback takes (file name, bytes done).

    The bar is drawn on a terminal only: a transient bar on any other output (a pipe, a
    file) shows nothing, ever, so there it is not made at all (nor Rich's live display
    imported, nor its refresh thread started)."""
    if disable or not console.is_terminal:
        yield lambda name, read: None
        return
    # An EWF image is read twice, checked then sealed, and its progress counts both.
    total = sum(
        p.stat().st_size * (2 if is_ewf(p) else 1)
        for p in paths
        if p.is_file() and not p.is_symlink()
    )
    with _byte_bar(disable) as bar:
        task = bar.add_task(what, total=total)
        done: dict[str, int] = {}

        def progress(name: str, read: int) -> None:
            done[name] = read
            bar.update(task, completed=sum(done.values()), description=name)

        yield progress


@app.command()
@guarded
def deliver(
    package: Path = typer.Argument(..., help="The package folder sealed for the request."),
    request: str = typer.Option(..., "--request", help="The request it answers."),
    *,
    user: ActingUser,
    wait: bool = typer.Option(
        False, "--wait", help="Upload from this command and wait for the signed receipt."
    ),
    timeout: float = typer.Option(3600.0, "--timeout", help="How long --wait waits, seconds."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Offer a sealed package to the State that made the request.

    The node's worker (`hanoi up`) uploads it once the other node holds the
    offer; with --wait this command uploads it itself and waits until the
    other node has verified it (exit 1 if it did not; the receipt comes to
    this node's federation endpoint, so `hanoi up` must be serving)."""
    from hanoi.cases.evidence import deliver_package  # delivery: see the module's docstring

    with open_node(home) as context:
        officer = context.acting_user(user)
        row = deliver_package(
            context.db, context.node, user=officer, reference=request, package=package
        )
        context.deliver()  # the offer goes now if the other node is up; else the worker retries
        if wait:
            row = _wait_delivered(context, row.id, timeout, disable=as_json)
        shown = _package_json(row)
    if as_json:
        print_json(shown)
    else:
        console.print(
            f"Package {row.id} for {request} to {row.peer_state}: {row.status} "
            f"({row.bytes_done} of {row.bytes_total} bytes)"
            + (f" — {row.last_error}" if row.last_error else "")
        )
        if not wait:
            console.print(f"Follow it with: hanoi evidence list {request}")
    if wait and row.status != "delivered":
        raise typer.Exit(EXIT_INVALID)


def _wait_delivered(
    context: NodeContext, package_id: str, timeout: float, *, disable: bool
) -> EvidencePackage:
    """Push the payloads from here (a running worker may have them: then just watch) until
    the receiver's signed receipt is in, or the package failed, or ``timeout`` passed."""
    # The uploads and their HTTP client: only `deliver --wait` pushes from here.
    import httpx

    from hanoi.cases.evidence_transfer import fail_refused_offers, push_due
    from hanoi.evidence.models import EvidencePackage

    def current() -> EvidencePackage:
        with context.db.session() as session:
            row = session.get(EvidencePackage, package_id)
            assert row is not None  # deliver_package made it, and packages are never deleted
            session.expunge(row)
            return row

    deadline = time.monotonic() + timeout
    row = current()
    with (
        httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0), trust_env=False) as client,
        _byte_bar(disable) as bar,
    ):
        task = bar.add_task("uploading", total=row.bytes_total)
        while row.status not in ("delivered", "failed") and time.monotonic() < deadline:
            if row.status == "offered":
                context.deliver()
                fail_refused_offers(context.db)  # refused by the other node: failed, not waiting
            push_due(context.db, context.node, client)
            time.sleep(0.2)
            row = current()
            bar.update(task, completed=row.bytes_done, description=row.status)
    return row


def _package_json(row: EvidencePackage) -> dict[str, Any]:
    manifest = row.manifest
    return {
        "package_id": row.id,
        "direction": row.direction,
        "peer_state": row.peer_state,
        "status": row.status,
        "verified": row.verified,
        "bytes_done": row.bytes_done,
        "bytes_total": row.bytes_total,
        "last_error": row.last_error,
        "sealed_by": manifest.sealed_by.model_dump(mode="json"),
        "sealed_at": manifest.sealed_at,
        "files": [
            {"index": f.index, "name": f.name, "size": f.size, "sha256": f.sha256}
            for f in manifest.files
        ],
    }


@app.command("list")
@guarded
def list_(
    request: str = typer.Argument(..., help="The request reference."),
    *,
    user: ActingUser,
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """The evidence packages sent or received for a request: state, progress, files."""
    from hanoi.cases.evidence import list_packages  # delivery: see the module's docstring

    with open_node(home) as context, context.db.session() as session:
        rows = list_packages(session, user=context.user(session, user), reference=request)
        shown = [_package_json(row) for row in rows]
    if as_json:
        print_json(shown)
        return
    if not shown:
        console.print(f"No evidence package for {request} yet.")
    for item in shown:
        way = "to" if item["direction"] == "outgoing" else "from"
        console.print(
            f"{item['package_id']}  {way} {item['peer_state']}  {item['status']}  "
            f"{item['bytes_done']}/{item['bytes_total']} bytes  verified: {item['verified']}"
        )
        for f in item["files"]:
            console.print(
                f"    {f['index']:>4}  {f['name']}  {f['size']} bytes  sha256 {f['sha256']}"
            )
        if item["last_error"]:
            console.print(f"    problem: {item['last_error']}")


@app.command()
@guarded
def verify(
    package: Path = typer.Argument(..., help="The package folder."),
    key: Path | None = typer.Option(
        None, "--key", help="The sealing node's public key (JWK, JWKS or PEM), for offline use."
    ),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Check a package without opening it: signature, manifest, every ciphertext hash.

    Exit 0 if it verifies, 1 naming the first file and check that fails."""
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
    package: str = typer.Argument(
        ..., help="The package folder; or, with --request, the id of a package received for it."
    ),
    out: Path = typer.Option(..., "--out", help="The folder to create with the files."),
    request: str | None = typer.Option(
        None, "--request", help="Open a package this node received for this request."
    ),
    file: list[int] | None = typer.Option(
        None, "--file", help="Open only the file with this index (repeat for more).", min=1
    ),
    user: OptionalUser = None,
    home: NodeHome = None,
) -> None:
    """Verify, then decrypt every file with this node's identity, re-checking each hash.

    A package received for a request (--request) also has the opening
    recorded in its custody graph, on the request's timeline and in the
    audit log; it may be opened again, whole or a file at a time."""
    settings = load_settings(home)
    identity = KeyStore(settings.home).age_identity()
    files = frozenset(file) if file else None
    if request is None:
        folder = Path(package)
        opened = open_package(
            folder, identity=identity, out=out, keys_for=_keys_for(folder, None, home), files=files
        )
    else:
        from hanoi.cases.evidence import open_received  # delivery: see the module's docstring

        if user is None:
            fail("--request needs --user (or $HANOI_USER): the opening is recorded under a name")
        with open_node(home) as context:
            opened = open_received(
                context.db,
                context.node,
                user=context.acting_user(user),
                reference=request,
                package_id=package,
                identity=identity,
                out=out,
                files=files,
            )
    console.print(f"Opened {len(opened)} file(s) into {out}; every SHA-256 matches the manifest.")


@app.command()
@guarded
def fsck(home: NodeHome = None) -> None:
    """Re-hash every blob of the node's store; exit 1 if any is damaged or misplaced."""
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


def _keys_for(package: Path, key: Path | None, home: Path | None) -> KeysFor:
    if key is not None:
        return given_keys(key)
    # The sealing State named inside only picks whose keys must verify the signature.
    state = claimed_sealer(package)
    if state is None:
        return lambda kid, at: []
    return directory_keys(DirectoryView(load_settings(home).home), state)
