"""`hanoi ledger fsck`: re-check this node's whole log, in its database, with the node's
own log key."""

from __future__ import annotations

import typer

from hanoi.cli.context import NodeHome, open_database
from hanoi.cli.errors import EXIT_INVALID, guarded
from hanoi.cli.output import console
from hanoi.config import load_settings
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.store import fsck as check
from hanoi.node import has_node

app = typer.Typer()


@app.command()
@guarded
def fsck(home: NodeHome = None) -> None:
    """Re-check the node's whole log and its signed checkpoints.

    Every leaf hash, every stored subtree hash, every checkpoint's root and
    signature. Exit 1 listing what is wrong."""
    settings = load_settings(home)
    with open_database(settings) as db:
        # Without an identity the node has no log key: the signatures go unchecked.
        keys = NodeLogKeys.from_home(settings.home) if has_node(settings.home) else None
        report = check(db, verifier=keys.log_verifier() if keys is not None else None)
    console.print(f"{report.size} entries checked.")
    for problem in report.problems:
        console.print(f"PROBLEM  {problem}")
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)
