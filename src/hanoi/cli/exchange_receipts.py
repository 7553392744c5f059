"""`hanoi exchange receipt|verify-receipt`: a delivered message's signed receipt with its
offline proof in this node's log, written out and checked anywhere."""

from __future__ import annotations

from pathlib import Path

import typer

from hanoi.cli.context import AsJson, NodeHome, open_database
from hanoi.cli.errors import EXIT_INVALID, fail, guarded
from hanoi.cli.log_keys import log_policy
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.crypto.errors import CryptoError
from hanoi.directory.keys import load_public_keys
from hanoi.exchange.receipt_proofs import receipt_bundle, verify_bundle
from hanoi.ledger.errors import LedgerError

app = typer.Typer()


@app.command("receipt")
@guarded
def receipt(
    message_id: str = typer.Argument(..., help="A delivered message's id."),
    out: Path = typer.Option(..., "--out", help="The folder to write (made if missing)."),
    force: bool = typer.Option(False, "--force", help="Replace the files in an existing folder."),
    home: NodeHome = None,
) -> None:
    """Write a delivered message's signed receipt with its offline proof.

    Writes receipt.jws, receipt.tlog-proof (this node's log, cosigned by the
    quorum of witnesses) and receipt.opening.json. Exit 1, writing nothing,
    until a checkpoint with the quorum of cosignatures covers it."""
    if out.exists() and not force and (not out.is_dir() or any(out.iterdir())):
        fail(f"{out}: already exists (use --force to replace its files)")
    settings = load_settings(home)
    with open_database(settings) as db:
        bundle = receipt_bundle(db, message_id, quorum=settings.ledger_quorum)
    if not bundle.logged:
        fail("this receipt was stored before receipts were logged: it has no proof", EXIT_INVALID)
    if not bundle.proved:
        fail(
            f"no checkpoint of this node's log with {settings.ledger_quorum} cosignature(s) "
            "covers the receipt yet: try again shortly",
            EXIT_INVALID,
        )
    for path in bundle.write(out):
        console.print(f"Wrote {path}")


@app.command("verify-receipt")
@guarded
def verify_receipt(
    folder: Path = typer.Argument(..., help="A folder written by 'hanoi exchange receipt'."),
    key: str = typer.Option(..., "--key", help="The holder's log verifier key (name+hash+base64)."),
    cosigner: list[str] = typer.Option(
        [], "--cosigner", help="A witness's cosigner key; repeat for each witness."
    ),
    quorum: int | None = typer.Option(
        None, "--quorum", min=0, help="Cosignatures required (default: every --cosigner)."
    ),
    receiver_key: Path | None = typer.Option(
        None,
        "--receiver-key",
        help="The receiving node's public key (JWK, JWKS or PEM) to check the receipt's "
        "signature too.",
    ),
    as_json: AsJson = False,
) -> None:
    """Check a receipt folder and its proof offline.

    The proof is in the holder's log, under a checkpoint with the --quorum
    of witness cosignatures; the opening opens its entry; receipt.jws is the
    receipt the entry commits to and says the same; with --receiver-key, its
    signature. Exit 0 if all hold, 1 naming the first fault."""
    verifier, witnesses, needed = log_policy(key, cosigner, quorum)
    if not folder.is_dir():
        fail(f"{folder}: not a folder")
    keys = load_public_keys(receiver_key) if receiver_key is not None else []
    try:
        checked = verify_bundle(folder, verifier, witnesses, needed, receiver_keys=keys)
    except (LedgerError, CryptoError) as exc:
        if as_json:
            print_json({"ok": False, "problem": str(exc)})
        else:
            console.print(f"{folder}: DOES NOT VERIFY — {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    detail = checked.detail
    if as_json:
        print_json({"ok": True, "signature_checked": checked.signature_checked, "receipt": detail})
        return
    receiver = detail["receiver"]
    signature = (
        "receipt signature checked"
        if checked.signature_checked
        else "receipt signature NOT checked (--receiver-key)"
    )
    console.print(
        f"{folder}: verified — message {detail['message']} received by "
        f"{receiver['authority']} ({receiver['state']}) at {detail['received_at']}, logged "
        f"by {verifier.name} with {needed} cosignature(s); {signature}"
    )
