"""The `hanoi` command: one Typer sub-application per command group."""

from __future__ import annotations

import typer

from hanoi.cli import (
    convention,
    demo,
    directory,
    evidence,
    exchange,
    identity,
    ledger,
    node,
    request,
)

app = typer.Typer(
    help="Hanoi: cooperation requests under the UN Convention against Cybercrime.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(convention.app, name="convention")
app.add_typer(request.app, name="request")
app.add_typer(directory.app, name="directory")
app.add_typer(exchange.app, name="exchange")
app.add_typer(evidence.app, name="evidence")
app.add_typer(node.db_app, name="db")
app.add_typer(node.authority_app, name="authority")
app.add_typer(node.user_app, name="user")
app.command("up")(node.up)
app.command("demo")(demo.demo)
app.add_typer(identity.app, name="node")
app.add_typer(ledger.app, name="ledger")
