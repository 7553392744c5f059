"""`hanoi ledger prove`: the offline proof (C2SP tlog-proof) of an entry of this node's
log, made from the node's database."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from hanoi.cli.context import NodeHome, open_database
from hanoi.cli.errors import fail, guarded
from hanoi.cli.files import write_atomic
from hanoi.cli.output import console
from hanoi.config import load_settings
from hanoi.ledger.service import proof_for_index

app = typer.Typer()


@app.command()
@guarded
def prove(
    index: int = typer.Option(..., "--index", min=0, help="The entry's index in this log."),
    out: Path | None = typer.Option(None, "--out", help="Write the proof here (default: print)."),
    home: NodeHome = None,
) -> None:
    """Write the offline proof (C2SP tlog-proof) that an entry is in this log.

    The proof that entry INDEX is in this node's log, under its latest
    signed checkpoint, with the witnesses' cosignatures when it has them."""
    settings = load_settings(home)
    with open_database(settings) as db:
        proof = proof_for_index(db, index, quorum=settings.ledger_quorum)
    if proof is None:
        fail(f"no signed checkpoint of this log covers entry {index} (yet)")
    if out is None:
        sys.stdout.write(proof.decode("utf-8"))
        return
    write_atomic(out, proof, overwrite=True)
    console.print(f"Wrote the proof of entry {index} to {out}.")
