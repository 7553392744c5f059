"""`hanoi authority add`: register an authority of this node's State."""

from __future__ import annotations

import typer

from hanoi.accounts.service import create_authority
from hanoi.cli.context import NodeHome, open_database
from hanoi.cli.errors import guarded
from hanoi.cli.output import console
from hanoi.config import load_settings

app = typer.Typer()


@app.command("add")
@guarded
def authority_add(
    code: str = typer.Argument(..., help="Short code, e.g. XA-CA."),
    state: str = typer.Option(..., "--state", help="ISO 3166 code of the State."),
    name: str = typer.Option(..., "--name", help="Full name of the authority."),
    kind: str = typer.Option(
        "central_authority",
        "--kind",
        help="central_authority, point_of_contact_24_7, extradition_authority or "
        "competent_authority.",
    ),
    home: NodeHome = None,
) -> None:
    """Register an authority of this node's State."""
    with open_database(load_settings(home)) as db, db.session() as session:
        create_authority(session, state=state, code=code, name=name, kind=kind)
    console.print(f"Authority {code} added.")
