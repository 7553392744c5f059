"""`hanoi convention ...`: read the treaty as Hanoi models it."""

from __future__ import annotations

import typer
from rich.table import Table

from hanoi.cli.context import AsJson
from hanoi.cli.errors import guarded
from hanoi.cli.output import console, print_json
from hanoi.convention import get_convention

app = typer.Typer()


@app.command()
@guarded
def articles(as_json: AsJson = False) -> None:
    """List the 68 articles with chapter and confidence."""
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
def instruments(as_json: AsJson = False) -> None:
    """List the request kinds with every element, its article and its confidence."""
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
def offences(as_json: AsJson = False) -> None:
    """List the offence codes (Arts. 4, 7-17 and serious crime)."""
    conv = get_convention()
    if as_json:
        print_json([o.model_dump(mode="json") for o in conv.offences])
        return
    table = Table("Code", "Article", "Offence", "Confidence")
    for o in conv.offences:
        table.add_row(o.code, str(o.article), o.name, o.confidence)
    console.print(table)
