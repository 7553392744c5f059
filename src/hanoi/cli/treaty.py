"""`hanoi treaty record|show|status|publish`: the Convention's depositary record and what
it means, and its publication in the Secretariat's signed directory.

Which record a command reads (docs/treaty.md):

- ``--record FILE``: that file;
- ``--demo``: the demo federation's fictional record (XA, XB, XC and their neighbours);
- otherwise the Secretariat's working copy, ``<home>/secretariat/treaty/record.yaml``, if
  `hanoi treaty record` has written one, else the record shipped with Hanoi.

`hanoi treaty record` writes ``--record FILE`` or the Secretariat's working copy (started
from the shipped record on its first row), under a lock, whole or not at all. The shipped
record and the demo's are never written.

`hanoi treaty publish` signs the record the Secretariat keeps (the same choice of record)
into its TUF repository as ``treaty/record.yaml``, beside the States' entries; every node
gets it with `hanoi directory refresh`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hanoi.cli.context import AsJson, NodeHome
from hanoi.cli.errors import CliUsageError, guarded
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.files import locked, private_dir
from hanoi.treaty import DEMO_RECORD, SHIPPED_RECORD
from hanoi.treaty.entry_into_force import parse_assumption, status
from hanoi.treaty.record import (
    Action,
    ActionKind,
    TreatyRecord,
    TreatyRecordError,
    load_record,
    save_record,
)

app = typer.Typer()

RecordFile = Annotated[
    Path | None,
    typer.Option(
        "--record",
        help="The record file to read (and, for 'record', write). Default: the Secretariat's "
        "copy in <home>/secretariat/treaty/record.yaml if there is one, else the record "
        "shipped with Hanoi.",
    ),
]
Demo = Annotated[
    bool, typer.Option("--demo", help="Read the demo federation's fictional record instead.")
]


def _working_copy(home: Path | None) -> Path:
    return load_settings(home).home / "secretariat" / "treaty" / "record.yaml"


def _source(record_file: Path | None, demo: bool, home: Path | None) -> Path:
    if demo and record_file is not None:
        raise CliUsageError("give --record or --demo, not both")
    if demo:
        return DEMO_RECORD
    if record_file is not None:
        return record_file
    copy = _working_copy(home)
    return copy if copy.exists() else SHIPPED_RECORD


@app.command()
@guarded
def publish(
    record_file: RecordFile = None,
    demo: Demo = False,
    home: NodeHome = None,
    as_json: AsJson = False,
) -> None:
    """Publish the depositary record in the Secretariat's signed directory.

    Signs the record (--record FILE, --demo, or else the Secretariat's copy in
    <home>/secretariat/treaty/record.yaml, else the record shipped with Hanoi)
    as treaty/record.yaml with the online targets key, with a new snapshot and
    timestamp; nodes get it with 'hanoi directory refresh'. Publishing the same
    record again changes nothing."""
    from hanoi.directory.repository import SecretariatRepository

    path = _source(record_file, demo, home)
    loaded = load_record(path)
    repo = SecretariatRepository(load_settings(home).home / "secretariat")
    result = repo.publish_treaty_record(loaded)
    if as_json:
        print_json(
            {
                "record": str(path),
                "fictional": loaded.fictional,
                "sha256": result.sha256,
                "changed": result.changed,
                "snapshot_version": result.snapshot_version,
                "timestamp_version": result.timestamp_version,
            }
        )
        return
    what = "FICTIONAL DEMO RECORD " if loaded.fictional else ""
    if not result.changed:
        console.print(f"{what}{path} is already published (sha256 {result.sha256}).")
        return
    console.print(
        f"Published {what}{path} as treaty/record.yaml (sha256 {result.sha256}): snapshot "
        f"{result.snapshot_version}, timestamp {result.timestamp_version}."
    )


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliUsageError(f"{option} must be a date YYYY-MM-DD, not {text!r:.30}") from None


@app.command()
@guarded
def record(
    state: str = typer.Argument(..., help="ISO 3166 code (alpha-2 or alpha-3), or EU."),
    action: str = typer.Argument(..., help="signature, ratification, acceptance, approval, ..."),
    on: str = typer.Option(..., "--date", help="The day of the action, YYYY-MM-DD."),
    source: str = typer.Option(
        ...,
        "--source",
        help="A depositary notification number (C.N.196.2025.TREATIES-XVIII.16) or an https "
        "address.",
    ),
    confidence: str = typer.Option(
        "confirmed", "--confidence", help="confirmed (the depositary says so) or unconfirmed."
    ),
    article: int | None = typer.Option(None, "--article", help="The article (reservations...)."),
    paragraph: int | None = typer.Option(None, "--paragraph", help="Its paragraph."),
    against: str | None = typer.Option(None, "--against", help="An objection's State."),
    topic: str | None = typer.Option(
        None,
        "--topic",
        help="A notification's topic: central-authority, point-of-contact-24-7, languages.",
    ),
    detail: str | None = typer.Option(None, "--detail", help="The authority designated."),
    language: list[str] = typer.Option([], "--language", help="A language notified; repeat."),
    dated: str = typer.Option(
        "exact", "--dated", help="exact, on-or-before or on-or-after (what the source says)."
    ),
    note: str | None = typer.Option(None, "--note", help="A note shown beside the row."),
    name: str | None = typer.Option(None, "--name", help="The State's name, if it is new."),
    reio: bool = typer.Option(
        False, "--reio", help="A new regional economic integration organisation."
    ),
    member: list[str] = typer.Option([], "--member", help="A new organisation's member; repeat."),
    record_file: RecordFile = None,
    home: NodeHome = None,
    as_json: AsJson = False,
) -> None:
    """Add a row to the depositary record: what a State did, when, and who says so.

    Every row needs --source; a row that duplicates one, or comes in an order
    that cannot be (a ratification before the signature, anything after a
    denunciation took effect but an accession), is refused and nothing is
    written. Writes --record FILE, or the Secretariat's copy in
    <home>/secretariat/treaty/record.yaml (started from the record shipped with
    Hanoi)."""
    target = record_file if record_file is not None else _working_copy(home)
    row: dict[str, Any] = {
        "kind": action,
        "date": _parse_date(on, "--date"),
        "dated": dated,
        "source": source,
        "confidence": confidence,
        "article": article,
        "paragraph": paragraph,
        "against": against,
        "topic": topic,
        "detail": detail,
        "languages": tuple(language),
        "note": note,
    }
    if action not in {str(kind) for kind in ActionKind}:
        kinds = ", ".join(str(kind) for kind in ActionKind)
        raise CliUsageError(f"ACTION must be one of {kinds}, not {action!r:.30}")
    new_row = _action(row)
    if record_file is None:
        private_dir(target.parent)  # inside the Secretariat's folder, owner-only like it
    with locked(target.with_name(f".{target.name}.lock")):
        current = load_record(target) if target.exists() else load_record(SHIPPED_RECORD)
        updated = current.with_action(state, new_row, name=name, reio=reio, members=member)
        save_record(updated, target)
    added = updated.state(state)
    assert added is not None
    if as_json:
        print_json({"record": str(target), "state": added.code, "action": _row_json(new_row)})
        return
    console.print(f"{added.code} ({added.name}): {new_row.describe()} recorded in {target}")


def _action(row: dict[str, Any]) -> Action:
    from pydantic import ValidationError

    try:
        return Action.model_validate({k: v for k, v in row.items() if v not in (None, ())})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "row"
        raise TreatyRecordError(f"{field}: {error['msg']}", check="field") from None


def _row_json(action: Action) -> dict[str, Any]:
    return action.model_dump(mode="json", exclude_defaults=True)


@app.command()
@guarded
def show(
    state: str | None = typer.Argument(None, help="One State's code; all States if left out."),
    record_file: RecordFile = None,
    demo: Demo = False,
    home: NodeHome = None,
    as_json: AsJson = False,
) -> None:
    """Show the depositary record: every State's actions with their sources.

    Reads --record FILE, --demo (the demo federation's fictional record), or
    else the Secretariat's copy in <home>/secretariat/treaty/record.yaml if
    there is one, else the record shipped with Hanoi."""
    path = _source(record_file, demo, home)
    loaded = load_record(path)
    states = loaded.states
    if state is not None:
        found = loaded.state(state)
        if found is None:
            raise TreatyRecordError(f"{state.upper():.10}: not in the record", check="code")
        states = (found,)
    states = tuple(sorted(states, key=lambda s: s.code))
    if as_json:
        print_json(
            {
                "record": str(path),
                "fictional": loaded.fictional,
                "states": [
                    {
                        "code": s.code,
                        "name": s.name,
                        "reio": s.reio,
                        **({"members": list(s.members)} if s.reio else {}),
                        "actions": [_row_json(a) for a in s.sorted_actions()],
                    }
                    for s in states
                ],
            }
        )
        return
    _print_record(loaded, states, path)


def _print_record(loaded: TreatyRecord, states: tuple[Any, ...], path: Path) -> None:
    # One line per row, the source whole: sources are addresses to copy, never cut.
    if loaded.fictional:
        console.print("FICTIONAL DEMO RECORD")
    for s in states:
        reio = f" (regional organisation; members {' '.join(s.members)})" if s.reio else ""
        console.print(f"{s.code} {s.name}{reio}")
        for a in s.sorted_actions():
            dated = "" if a.dated == "exact" else f" ({a.dated})"
            console.print(
                f"  {a.date.isoformat()}{dated}  {a.describe().rsplit(' of ', 1)[0]}  "
                f"[{a.confidence}]  {a.source}"
            )
            if a.note:
                console.print(f"      {a.note}")
    console.print(f"Record: {path}")


@app.command("status")
@guarded
def treaty_status(
    as_of: str | None = typer.Option(
        None, "--as-of", help="The day to answer for, past or future (default: today, UTC)."
    ),
    assume: list[str] = typer.Option(
        [],
        "--assume",
        metavar="STATE:ACTION:DATE",
        help="A hypothetical deposit (FR:ratification:2027-03-01); repeat.",
    ),
    record_file: RecordFile = None,
    demo: Demo = False,
    home: NodeHome = None,
    as_json: AsJson = False,
) -> None:
    """Signatories, instruments toward the 40, entry into force and Parties on a day.

    Answers for any --as-of day, past or future, and with --assume'd deposits
    ("if these States deposit on these dates"). Each date carries the article
    that gives it and its confidence; the counts sources state are shown beside
    the record's own list, which may disagree. Reads the same record as 'show'."""
    day = _parse_date(as_of, "--as-of") if as_of else datetime.now(UTC).date()
    path = _source(record_file, demo, home)
    loaded = load_record(path)
    assumptions = [parse_assumption(text, fictional=loaded.fictional) for text in assume]
    result = status(loaded, day, assumptions)
    data = {"record": str(path), **result.as_json()}
    if as_json:
        print_json(data)
        return
    _print_status(data)


def _print_status(data: dict[str, Any]) -> None:
    if data["fictional"]:
        console.print("FICTIONAL DEMO RECORD")
    sig = data["signatories"]
    console.print(
        f"As of {data['as_of']}: {sig['listed']} signatories in the record "
        f"({sig['listed_confirmed']} confirmed)."
    )
    for count in sig["reported"]:
        when = f" as of {count['as_of']}" if count["as_of"] else ""
        agrees = "agrees with the list" if count["agrees_with_list"] else "the list disagrees"
        console.print(
            f"  {count['count']} signatories{when} ({count['confidence']}; {agrees}): "
            f"{count['source']}"
        )
    inst = data["instruments"]
    console.print(
        f"Instruments counted toward the {inst['needed']}: {inst['counted']} "
        f"({inst['counted_confirmed']} on confirmed rows)."
    )
    for label, key in (
        ("Entry into force", "entry_into_force"),
        ("On confirmed rows alone", "entry_into_force_on_confirmed_rows"),
    ):
        eif = data[key]
        when = eif["date"] or "not yet"
        console.print(f"{label}: {when} ({eif['rule']}, {eif['confidence']})")
    for a in data["assumed"]:
        console.print(f"Assumed: {a['state']} {a['action']} on {a['date']}")
    console.print(f"In force: {'yes' if data['in_force'] else 'no'}")
    if data["parties"]:
        table = Table("Party", "Since", "Rule", "Until", "Confidence")
        for p in data["parties"]:
            table.add_row(p["state"], p["since"], p["rule"], p["until"] or "", p["confidence"])
        console.print(table)
    console.print(f"Record: {data['record']}")
