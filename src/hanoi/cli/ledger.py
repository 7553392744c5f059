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
from hanoi.crypto.canonical import b64
from hanoi.crypto.errors import CryptoError
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.follow import (
    MalformedTreeHead,
    NotAnExtension,
    TreeHead,
    load_memory,
    parse_tree_head,
    prove_extends,
    remember_verified,
)
from hanoi.ledger.proof import MAX_PROOF_BYTES, verify_proof_file
from hanoi.ledger.records import format_time, parse_leaf
from hanoi.ledger.tiles import CHECKPOINT_PATH, Fetch, FetchError, TilePathError, open_fetcher
from hanoi.ledger.verify import LogReport, verify_log

app = typer.Typer()


@app.command()
@guarded
def verify(
    log: str = typer.Option(..., "--log", help="The log's folder, or its http(s) URL prefix."),
    key: str = typer.Option(
        ..., "--key", help="The log's verifier key: name+hash+base64 (signed-note form)."
    ),
    origin: str | None = typer.Option(
        None,
        "--origin",
        help="The origin the checkpoint must name (default: any; with --state, the key's name).",
    ),
    cosigner: list[str] = typer.Option(
        [], "--cosigner", help="A witness's cosigner key; repeat for each witness."
    ),
    quorum: int | None = typer.Option(
        None, "--quorum", min=0, help="Cosignatures required (default: every --cosigner)."
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        metavar="SIZE:ROOT",
        help="A tree seen before (root in base64): the log must extend it.",
    ),
    state: Path | None = typer.Option(
        None,
        "--state",
        help="Remember the latest verified tree of each log here; the log must extend it.",
    ),
    as_json: AsJson = False,
) -> None:
    """Check a whole tlog-tiles log against its signed checkpoint.

    The checkpoint's signature (and --quorum cosignatures of the --cosigner
    witnesses), every entry bundle and every tile against the signed root,
    and that the log extends the tree given with --since or remembered in
    --state: a smaller tree is a rollback, one that does not extend it a
    fork. Exit 0 if it verifies (the tree is then remembered), 1 naming the
    first problem."""
    verifier, witnesses, needed = log_policy(key, cosigner, quorum)
    held_since: TreeHead | None = None
    if since is not None:
        try:
            held_since = parse_tree_head(since)
        except MalformedTreeHead as exc:
            fail(f"--since: {exc}")
    if state is not None:
        # Before anything is read: a state file that is not one is never written over.
        if state.is_dir() or not state.parent.is_dir():
            fail(f"--state {state}: not a file in an existing folder")
        load_memory(state)
        # The memory is kept by origin: a log must not escape it by signing under another.
        origin = verifier.name if origin is None else origin
    try:
        fetch = open_fetcher(log)
        report = verify_log(fetch, key.strip(), origin=origin, cosigners=witnesses, quorum=needed)
    except (FetchError, TilePathError) as exc:
        fail(f"cannot read the log at {log}: {exc}")
    held_state: TreeHead | None = None
    refused: str | None = None
    if report.ok:
        try:
            held_state = _follow(fetch, report, held_since, state)
        except (FetchError, TilePathError) as exc:
            fail(f"cannot read the log at {log}: {exc}")
        except NotAnExtension as exc:
            report.add(CHECKPOINT_PATH, str(exc))
            refused = exc.check
    root = b64(report.root_hash) if report.root_hash is not None else ""  # as --since takes it
    if as_json:
        print_json(
            {
                "log": log,
                **report.to_dict(),
                "tree": f"{report.size}:{root}" if root else None,
                "refused": refused,
                "since": str(held_since) if held_since is not None else None,
                "state": str(state) if state is not None else None,
                "remembered_before": str(held_state) if held_state is not None else None,
            }
        )
    elif report.ok:
        witnessed = f"; cosigned by {', '.join(report.cosigned_by)}" if report.cosigned_by else ""
        extends = [f"{held_since} (--since)"] if held_since is not None else []
        if held_state is not None:
            extends.append(f"{held_state} (remembered)")
        follows = f"; extends {' and '.join(extends)}" if extends else ""
        remembered = f"; remembered in {state}" if state is not None else ""
        console.print(
            f"{log}: verified — {report.origin}, {report.size} entries, root {root}, "
            f"{report.tiles_checked} tiles and {report.bundles_checked} entry bundles checked"
            f"{witnessed}{follows}{remembered}"
        )
    else:
        first = report.problems[0]
        more = len(report.problems) - 1 + report.problems_not_listed
        tail = f" ({more} more problem(s); --json lists them)" if more else ""
        console.print(f"{log}: DOES NOT VERIFY — {first}{tail}")
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)


def _follow(
    fetch: Fetch, report: LogReport, since: TreeHead | None, state: Path | None
) -> TreeHead | None:
    """Check that the verified log extends ``since`` and what ``state`` holds of it, and
    remember it there; the tree the state held before (``None`` if none)."""
    assert report.size is not None and report.root_hash is not None
    assert report.origin is not None and report.checkpoint_note is not None
    size, root = report.size, report.root_hash
    if since is not None:
        prove_extends(fetch, since, size, root, held_from="given with --since")
    if state is None:
        return None
    held = remember_verified(
        state,
        report.origin,
        TreeHead(size, root),
        report.checkpoint_note,
        lambda held: prove_extends(fetch, held, size, root, held_from=f"remembered in {state}"),
    )
    return held.head if held is not None else None


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
