"""`hanoi convention ...`: read the treaty as Hanoi models it."""

from __future__ import annotations

import typer

from hanoi.cli.errors import guarded
from hanoi.cli.output import console, print_json

app = typer.Typer(
    help="The Convention as data: articles, instruments, offences.", no_args_is_help=True
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.command()
@guarded
def articles(as_json: bool = JSON_OPTION) -> None:
    """List the 68 articles with chapter and confidence."""
    # Imported by each command: loading the Convention's models and data (pydantic, YAML)
    # at start-up would weigh on every other `hanoi` command too.
    from rich.table import Table

    from hanoi.convention import get_convention

    conv = get_convention()
    if as_json:
        print_json([a.model_dump(mode="json") for a in conv.articles])
        return
    table = Table("Art", "Ch", "Title", "Confidence")
    for a in conv.articles:
        table.add_row(str(a.number), a.chapter, a.title, a.confidence)
    console.print(table)


@app.command()
@guarded
def instruments(as_json: bool = JSON_OPTION) -> None:
    """List the request kinds with every element, its article and its confidence."""
    from rich.table import Table

    from hanoi.convention import get_convention

    conv = get_convention()
    if as_json:
        print_json([i.model_dump(mode="json") for i in conv.instruments.values()])
        return
    for inst in conv.instruments.values():
        table = Table("Element", "Article", "Confidence", title=f"{inst.kind}: {inst.title}")
        for element in inst.elements:
            table.add_row(element.label, str(element.article), element.confidence)
        console.print(table)


@app.command()
@guarded
def offences(as_json: bool = JSON_OPTION) -> None:
    """List the offence codes (Arts. 4, 7-17 and serious crime)."""
    from rich.table import Table

    from hanoi.convention import get_convention

    conv = get_convention()
    if as_json:
        print_json([o.model_dump(mode="json") for o in conv.offences])
        return
    table = Table("Code", "Article", "Offence", "Confidence")
    for o in conv.offences:
        table.add_row(o.code, str(o.article), o.name, o.confidence)
    console.print(table)
