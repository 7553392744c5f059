"""`hanoi request new|check|render`: draft, check and render request documents (files)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hanoi.cases.check import CheckReport, check_document
from hanoi.cases.documents import (
    KINDS,
    MAX_DOCUMENT_BYTES,
    RequestDocument,
    new_document,
    parse_document,
)
from hanoi.cases.render import LetterFormat, LetterLanguage, render_html, render_pdf
from hanoi.cli.context import AsJson, NodeHome
from hanoi.cli.errors import EXIT_INVALID, EXIT_OK, fail, guarded
from hanoi.cli.files import read_bounded, write_atomic
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.directory.states import StateDirectory
from hanoi.directory.view import node_directory

app = typer.Typer()


def read_document(path: Path) -> RequestDocument:
    """The request document in ``path`` (or stdin for ``-``), size-bounded and validated."""
    return parse_document(read_bounded(path, MAX_DOCUMENT_BYTES))


def _states(home: Path | None) -> StateDirectory:
    return node_directory(load_settings(home).home)


@app.command()
@guarded
def new(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the blank request."),
    requesting_state: str | None = typer.Option(None, help="ISO 3166 code of your State."),
    requested_state: str | None = typer.Option(None, help="ISO 3166 code of the requested State."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
) -> None:
    """Write a blank request of KIND, ready to fill in and check."""
    if kind not in KINDS:
        fail(f"unknown request kind {kind!r}; choose one of: {', '.join(KINDS)}")
    doc = new_document(kind, requesting_state=requesting_state, requested_state=requested_state)
    text = json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    write_atomic(out, text.encode(), overwrite=force)
    console.print(
        f"Wrote a blank {kind} request to {out}. Fill it in, then: hanoi request check {out}"
    )


@app.command()
@guarded
def check(
    file: Path = typer.Argument(..., help="The request document (JSON), or - for stdin."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Check a request against its article: exit 0 complete, 1 problems found, 2 unusable.

    The States are those of the node's verified directory, or the demo States if
    it has none.
    """
    report = check_document(read_document(file), directory=_states(home))
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        _print_report(file, report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_INVALID)


def _print_report(file: Path, report: CheckReport) -> None:
    """One block per problem: severity and full field path, the message, the article.

    Blocks rather than a table, so nothing is cut short in a narrow terminal or a CI log.
    """
    if not report.problems:
        console.print(f"{file}: complete — every element of the {report.kind} request is present.")
        return
    for p in report.problems:
        console.print(f"{p.severity:<8} {p.path or '(document)'}")
        console.print(f"         {p.message}")
        # A platform requirement cites the article it serves, which does not list it.
        basis = " — platform requirement" if p.basis == "platform" else ""
        console.print(f"         {p.article} ({p.confidence}){basis}")
    verdict = "incomplete" if not report.ok else "complete, with warnings"
    console.print(f"{file}: {verdict} — {report.errors} error(s), {report.warnings} warning(s).")


@app.command()
@guarded
def render(
    file: Path = typer.Argument(..., help="The request document (JSON)."),
    lang: LetterLanguage = typer.Option(
        LetterLanguage.EN, "--lang", help="Language of the letter."
    ),
    bilingual: LetterLanguage | None = typer.Option(
        None,
        "--bilingual",
        help="Add the same letter in this second language (e.g. the one the requested "
        "State accepts), each version starting on a page of its own.",
    ),
    fmt: LetterFormat = typer.Option(LetterFormat.HTML, "--format", help="html or pdf."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the letter."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    home: NodeHome = None,
) -> None:
    """Render the formal request letter, citing the articles, as HTML or PDF.

    The States are those of the node's verified directory, or the demo States if
    it has none.
    """
    second = bilingual.value if bilingual is not None else None
    if second == lang.value:
        fail(f"--bilingual needs a language other than --lang ({lang.value})")
    doc = read_document(file)
    states = _states(home)
    if fmt is LetterFormat.PDF:
        data = render_pdf(doc, lang.value, directory=states, bilingual=second)
    else:
        data = render_html(doc, lang.value, directory=states, bilingual=second).encode()
    write_atomic(out, data, overwrite=force)
    languages = f"{lang.value} and {second}" if second else lang.value
    console.print(f"Wrote the {languages} letter to {out}.")
