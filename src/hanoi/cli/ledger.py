"""`hanoi ledger ...`: the node's transparency log. `verify` checks any C2SP tlog-tiles
log, whoever wrote it, from a folder or a URL."""

from __future__ import annotations

import typer

from hanoi.cli.errors import EXIT_INVALID, fail, guarded
from hanoi.cli.output import console, print_json

app = typer.Typer(help="The transparency log: verify a published log.", no_args_is_help=True)


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
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check a whole tlog-tiles log: the checkpoint's signature, every entry bundle and
    every tile against the signed root. Exit 0 if it verifies, 1 naming the first problem."""
    from hanoi.crypto.note import parse_verifier_key
    from hanoi.ledger.tiles import FetchError, TilePathError, open_fetcher
    from hanoi.ledger.verify import verify_log

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
