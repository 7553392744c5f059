"""`hanoi ledger verify|verify-proof`: transparency logs checked offline. `verify` checks
any C2SP tlog-tiles log, whoever wrote it, from a folder or a URL; `verify-proof` checks an
offline proof anywhere. Neither opens a node: the node's own log is proved by
:mod:`hanoi.cli.ledger_prove` and re-checked by :mod:`hanoi.cli.ledger_fsck`."""

from __future__ import annotations

from pathlib import Path

import typer

from hanoi.cli.context import AsJson
from hanoi.cli.errors import EXIT_INVALID, fail, guarded
from hanoi.cli.files import read_bounded
from hanoi.cli.log_keys import log_policy
from hanoi.cli.output import console, print_json
from hanoi.crypto.errors import CryptoError
from hanoi.crypto.note import parse_verifier_key
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.proof import MAX_PROOF_BYTES, verify_proof_file
from hanoi.ledger.records import format_time, parse_leaf
from hanoi.ledger.tiles import FetchError, TilePathError, open_fetcher
from hanoi.ledger.verify import verify_log

app = typer.Typer()


@app.command()
@guarded
def verify(
    log: str = typer.Option(..., "--log", help="The log's folder, or its http(s) URL prefix."),
    key: str = typer.Option(
        ..., "--key", help="The log's verifier key: name+hash+base64 (signed-note form)."
    ),
    origin: str | None = typer.Option(
        None, "--origin", help="The origin the checkpoint must name (default: any)."
    ),
    as_json: AsJson = False,
) -> None:
    """Check a whole tlog-tiles log against its signed checkpoint.

    The checkpoint's signature, every entry bundle and every tile against
    the signed root. Exit 0 if it verifies, 1 naming the first problem."""
    key = key.strip()
    parse_verifier_key(key)  # a malformed key is a usage error (exit 2), before any read
    try:
        report = verify_log(open_fetcher(log), key, origin=origin)
    except (FetchError, TilePathError) as exc:
        fail(f"cannot read the log at {log}: {exc}")
    if as_json:
        print_json({"log": log, **report.to_dict()})
    elif report.ok:
        console.print(
            f"{log}: verified — {report.origin}, {report.size} entries, root "
            f"{report.root_hash.hex() if report.root_hash else ''}, "
            f"{report.tiles_checked} tiles and {report.bundles_checked} entry bundles checked"
        )
    else:
        first = report.problems[0]
        more = len(report.problems) - 1 + report.problems_not_listed
        tail = f" ({more} more problem(s); --json lists them)" if more else ""
        console.print(f"{log}: DOES NOT VERIFY — {first}{tail}")
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)


@app.command("verify-proof")
@guarded
def verify_proof(
    file: Path = typer.Argument(..., help="The tlog-proof file."),
    key: str = typer.Option(..., "--key", help="The log's verifier key (name+hash+base64)."),
    cosigner: list[str] = typer.Option(
        [], "--cosigner", help="A witness's cosigner key; repeat for each witness."
    ),
    quorum: int | None = typer.Option(
        None, "--quorum", min=0, help="Cosignatures required (default: every --cosigner)."
    ),
    as_json: AsJson = False,
) -> None:
    """Check an offline proof that an entry is in a log.

    The checkpoint's signature by the log's key, the witnesses' cosignatures
    (at least --quorum of them), and the entry's inclusion under that root.
    Exit 0 if it holds, 1 saying what does not."""
    verifier, witnesses, needed = log_policy(key, cosigner, quorum)
    data = read_bounded(file, MAX_PROOF_BYTES)
    try:
        verified = verify_proof_file(data, verifier, witnesses, needed)
    except (LedgerError, CryptoError) as exc:
        if as_json:
            print_json({"ok": False, "problem": str(exc)})
        else:
            console.print(f"{file}: DOES NOT VERIFY — {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    leaf = parse_leaf(verified.extra) if verified.extra is not None else None
    result = {
        "ok": True,
        "index": verified.index,
        "origin": verified.checkpoint.origin,
        "tree_size": verified.checkpoint.size,
        "cosigned_by": [c.name for c in verified.cosignatures],
        "entry": None
        if leaf is None
        else {
            "kind": leaf.kind,
            "node": leaf.node,
            "at": format_time(leaf.at),
            "commitment": leaf.commitment,
        },
    }
    if as_json:
        print_json(result)
        return
    what = f"{leaf.kind} at {leaf.node}, {format_time(leaf.at)}" if leaf else "the entry"
    console.print(
        f"{file}: verified — {what} is entry {verified.index} of {result['origin']} "
        f"(size {result['tree_size']}), cosigned by "
        f"{', '.join(result['cosigned_by']) or 'no witness'}"  # type: ignore[arg-type]
    )
