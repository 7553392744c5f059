"""`hanoi request new` and `hanoi request check`: drafts, reports and unusable input."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from hanoi.cases.check import check_document
from hanoi.cases.documents import KINDS, MAX_DOCUMENT_BYTES, parse_document
from hanoi.convention import get_convention
from tests.cli.test_cli import (
    Cmd,
    Run,
    example,
    expect,
    expect_usage_error,
    files_in,
    hanoi,
    hanoi_many,
    is_blank,
    value_at,
    write_json,
)

# --- the preservation walk-through of the README ---------------------------------------


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    """`request new preservation`, then checks of the blank and of the completed request."""
    cwd = tmp_path_factory.mktemp("walkthrough")
    runs = {"new": hanoi(cwd, "request", "new", "preservation", "-o", "r.json", process=True)}
    if runs["new"].code != 0:
        return cwd, runs
    blank = json.loads((cwd / "r.json").read_text(encoding="utf-8"))
    filled = dict(blank)
    filled.update({k: v for k, v in example("preservation").items() if k != "date_of_request"})
    write_json(cwd / "filled.json", filled)
    runs |= hanoi_many(
        cwd,
        {
            "blank": Cmd(("request", "check", "r.json")),
            "blank --json": Cmd(("request", "check", "r.json", "--json")),
            "filled --json": Cmd(("request", "check", "--json", "filled.json")),
        },
        process=True,
    )
    return cwd, runs


def test_new_writes_a_blank_preservation_dated_today(
    walkthrough: tuple[Path, dict[str, Run]],
) -> None:
    cwd, runs = walkthrough
    expect(runs["new"], 0)
    blank = json.loads((cwd / "r.json").read_text(encoding="utf-8"))
    assert blank["kind"] == "preservation"
    assert blank["date_of_request"] == date.today().isoformat()
    assert blank["requesting_state"] is None
    assert "hanoi request check r.json" in " ".join(runs["new"].out.split())


def test_blank_preservation_reports_every_missing_art42_element(
    walkthrough: tuple[Path, dict[str, Run]],
) -> None:
    cwd, runs = walkthrough
    blank = json.loads((cwd / "r.json").read_text(encoding="utf-8"))
    report = json.loads(expect(runs["blank --json"], 1).out)

    # What the data says every preservation request needs and the blank lacks. Elements below
    # '*' have no list item to live in yet: an empty list is the list element's problem.
    instrument = get_convention().instrument("preservation")
    missing = [
        e
        for e in instrument.required_elements
        if "*" not in e.field and is_blank(value_at(blank, e.field))
    ]
    assert {"authority", "offences", "data-items", "necessity", "mla-to-follow"} <= {
        e.id for e in missing
    }
    expected = [(e.id, e.field, str(e.article), e.severity, e.confidence) for e in missing]
    found = [
        (p["rule"], p["path"], p["article"], p["severity"], p["confidence"])
        for p in report["problems"]
    ]
    assert found == expected
    assert report["kind"] == "preservation"
    assert report["ok"] is False
    assert report["errors"] == sum(1 for e in missing if e.severity == "error")
    assert report["warnings"] == sum(1 for e in missing if e.severity == "warning")

    table = expect(runs["blank"], 1)
    summary = f"{report['errors']} error(s), {report['warnings']} warning(s)"
    assert summary in table.out, table
    assert "incomplete" in table.out
    for _, path, article, severity, confidence in expected:
        assert f"{severity:<8} {path}\n" in table.out, table
        assert f"{article} ({confidence})" in table.out, table
    # What the platform asks for (the States, reference, date, language) says so; what
    # Art. 42(3) lists does not.
    platform = {p["rule"] for p in report["problems"] if p["basis"] == "platform"}
    assert platform == {e.id for e in missing if e.basis == "platform"}
    assert platform >= {"requesting-state", "language"}
    assert "Art. 35(1) (unconfirmed) — platform requirement\n" in table.out, table
    assert "Art. 42(3)(a) (unconfirmed)\n" in table.out, table


def test_blank_report_names_each_missing_field_in_full(
    walkthrough: tuple[Path, dict[str, Run]],
) -> None:
    """Someone reading the report (a terminal, a CI log) must see which field is missing:
    ``requesting_authority.name``, not ``requesting_auth…``."""
    _, runs = walkthrough
    report = json.loads(runs["blank --json"].out)
    lines = [line.split() for line in expect(runs["blank"], 1).out.splitlines()]
    fields = [words[1] for words in lines if len(words) == 2]
    for problem in report["problems"]:
        assert problem["path"] in fields, (problem["path"], fields)


def test_completed_preservation_passes(walkthrough: tuple[Path, dict[str, Run]]) -> None:
    _, runs = walkthrough
    assert json.loads(expect(runs["filled --json"], 0).out) == {
        "kind": "preservation",
        "problems": [],
        "ok": True,
        "errors": 0,
        "warnings": 0,
    }


# --- request new -----------------------------------------------------------------------


def test_every_kind_gets_a_blank_draft(tmp_path: Path) -> None:
    states = ("--requesting-state", "XA", "--requested-state", "XB")
    runs = hanoi_many(
        tmp_path,
        {kind: Cmd(("request", "new", kind, "-o", f"{kind}.json", *states)) for kind in KINDS},
    )
    for kind in KINDS:
        expect(runs[kind], 0)
        raw = (tmp_path / f"{kind}.json").read_bytes()
        data = json.loads(raw)
        assert (data["kind"], data["requesting_state"], data["requested_state"]) == (
            kind,
            "XA",
            "XB",
        )
        # The draft is something `request check` can read, and it is not complete yet.
        report = check_document(parse_document(raw))
        assert not report.ok, kind
        assert not {p.rule for p in report.problems} & {"requesting-state", "requested-state"}


@pytest.fixture(scope="module")
def new_errors(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    cwd = tmp_path_factory.mktemp("new-errors")
    for name in ("kept.json", "replaced.json"):
        (cwd / name).write_bytes(b"my own notes\n")
    commands = {
        "unknown kind": Cmd(("request", "new", "rogatory", "-o", "rogatory.json")),
        "exists": Cmd(("request", "new", "mla", "-o", "kept.json")),
        "exists --force": Cmd(("request", "new", "mla", "-o", "replaced.json", "--force")),
        "missing directory": Cmd(("request", "new", "mla", "-o", "nowhere/r.json")),
    }
    return cwd, hanoi_many(cwd, commands, process=True)  # the usage errors as people see them


def test_new_unknown_kind_is_a_usage_error(new_errors: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = new_errors
    expect_usage_error(runs["unknown kind"], "rogatory", "preservation")
    assert not (cwd / "rogatory.json").exists()


def test_new_refuses_to_overwrite_without_force(new_errors: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = new_errors
    expect_usage_error(runs["exists"], "kept.json", "--force")
    assert (cwd / "kept.json").read_bytes() == b"my own notes\n"
    expect(runs["exists --force"], 0)
    assert json.loads((cwd / "replaced.json").read_bytes())["kind"] == "mla"


def test_new_failures_leave_nothing_behind(new_errors: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = new_errors
    expect_usage_error(runs["missing directory"], "nowhere")
    # Only the two files the fixture made: no draft, no temporary file, no directory.
    assert files_in(cwd) == ["kept.json", "replaced.json"]


@pytest.mark.parametrize(
    ("name", "what"),
    [("fifo", "a FIFO"), ("null", "a symbolic link"), ("folder", "a folder")],
)
def test_new_with_force_replaces_only_a_regular_file(tmp_path: Path, name: str, what: str) -> None:
    """`--force` replaces a file; a FIFO, a link to a device (here /dev/null, through a link
    made in tmp_path) or a folder is refused and left as it was."""
    target = tmp_path / name
    if name == "fifo":
        os.mkfifo(target)
    elif name == "null":
        target.symlink_to("/dev/null")
    else:
        target.mkdir()
    kept = os.lstat(target)
    run = hanoi(tmp_path, "request", "new", "mla", "-o", name, "--force")
    expect_usage_error(run, f"{name}: {what}, not a regular file")
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode) == (kept.st_ino, kept.st_mode)
    assert files_in(tmp_path) == [name], "no temporary file is left"


def test_new_without_force_refuses_a_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "r.json").symlink_to(tmp_path / "elsewhere.json")
    expect_usage_error(hanoi(tmp_path, "request", "new", "mla", "-o", "r.json"), "already exists")
    assert (tmp_path / "r.json").is_symlink() and files_in(tmp_path) == ["r.json"]


def test_an_output_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    name = "r" * 300 + ".json"  # longer than a file name may be
    run = hanoi(tmp_path, "request", "new", "mla", "-o", name, "--force")
    line = expect_usage_error(run, "cannot write it")
    assert line.startswith(f"error: {name}: "), line
    assert files_in(tmp_path) == []


# --- request check ---------------------------------------------------------------------

OVERSIZE = b'{"kind": "preservation"}'.ljust(MAX_DOCUMENT_BYTES + 1)

BAD_FILES = {
    "malformed": b'{"kind": "preservation",',
    "wrong-type": b'{"kind": "preservation", "urgent": "yes"}',
    "unknown-field": b'{"kind": "preservation", "requesting_authority": {"fax": "1"}}',
    "unknown-kind": b'{"kind": "rogatory-letter"}',
    "too-large": OVERSIZE,
    # Which of two values a JSON reader keeps differs between readers: refused, named.
    "duplicate-key": b'{"kind": "preservation", "urgent": true, "urgent": false}',
    "nested": b'{"kind": "preservation", "urgent": ' + b"[" * 40 + b"]" * 40 + b"}",
}

# case -> (arguments after `request check`, text the one error line must contain)
BAD_INPUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "malformed": (("malformed.json",), "JSON"),
    "malformed --json": (("--json", "malformed.json"), "JSON"),
    "wrong type": (("wrong-type.json",), "urgent"),
    "unknown field": (("unknown-field.json", "--json"), "fax"),
    "unknown kind": (("unknown-kind.json",), "rogatory-letter"),
    "over 1 MiB": (("too-large.json",), "limit"),
    "duplicate key": (("duplicate-key.json",), "duplicate key 'urgent'"),
    "nested": (("nested.json", "--json"), "nested deeper than 32 levels"),
    "over 1 MiB on stdin": (("-",), "limit"),
    "directory": (("a-directory",), "a-directory"),
    "missing": (("absent.json",), "absent.json"),
    "unreadable": (("unreadable.json",), "unreadable.json"),
}


def _make_unreadable(path: Path) -> None:
    """A file the command cannot open. chmod 000 stops everyone but root; as root (as in CI
    containers) a symbolic link pointing at itself cannot be opened by anyone."""
    if os.geteuid() != 0:
        write_json(path, example("preservation")).chmod(0)
    else:
        path.symlink_to(path.name)


@pytest.fixture(scope="module")
def check_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    cwd = tmp_path_factory.mktemp("check")
    for name, content in BAD_FILES.items():
        (cwd / f"{name}.json").write_bytes(content)
    (cwd / "a-directory").mkdir()
    _make_unreadable(cwd / "unreadable.json")
    complete = json.dumps(example("preservation"))
    (cwd / "[").mkdir()
    (cwd / "[" / "x].json").write_text(complete, encoding="utf-8")
    markup = example("preservation")
    markup["offences"][0]["code"] = "[/x]"
    markup["offences"][1]["code"] = "[bold]Z"

    commands = {
        case: Cmd(("request", "check", *args), stdin=OVERSIZE if "-" in args else b"")
        for case, (args, _) in BAD_INPUTS.items()
    }
    commands |= {
        "stdin of exactly 1 MiB": Cmd(
            ("request", "check", "--json", "-"), stdin=complete.encode().ljust(MAX_DOCUMENT_BYTES)
        ),
        "markup in values": Cmd(("request", "check", "-"), stdin=json.dumps(markup).encode()),
        "markup in file name": Cmd(("request", "check", "[/x].json")),
    }
    return hanoi_many(cwd, commands)


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_check_refuses_unusable_input_in_one_line(check_runs: dict[str, Run], case: str) -> None:
    expect_usage_error(check_runs[case], BAD_INPUTS[case][1])


def test_check_reads_stdin_up_to_the_size_limit(check_runs: dict[str, Run]) -> None:
    report = json.loads(expect(check_runs["stdin of exactly 1 MiB"], 0).out)
    assert (report["kind"], report["ok"], report["problems"]) == ("preservation", True, [])


def test_check_table_shows_values_literally(check_runs: dict[str, Run]) -> None:
    """Document values reach the report table; square brackets in them are text, not
    console markup: they must neither vanish nor crash the command."""
    run = expect(check_runs["markup in values"], 1)
    assert "'[/x]'" in run.out, run
    assert "[bold]Z" in run.out, run


def test_file_names_are_printed_not_interpreted(check_runs: dict[str, Run]) -> None:
    assert "[/x].json" in expect(check_runs["markup in file name"], 0).out


# --- dates ------------------------------------------------------------------------------


def test_check_refuses_a_past_deadline_and_a_reversed_period_naming_their_labels(
    tmp_path: Path,
) -> None:
    """The same dates checks as the API and the pages: they live in the Convention check."""
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    mla = example("mla") | {"deadline": yesterday}
    live = example("interception") | {
        "collection_period": {"start": date.today().isoformat(), "end": yesterday}
    }
    write_json(tmp_path / "mla.json", mla)
    write_json(tmp_path / "live.json", live)
    runs = hanoi_many(
        tmp_path,
        {
            "mla": Cmd(("request", "check", "--json", "mla.json")),
            "live": Cmd(("request", "check", "--json", "live.json")),
            "mla table": Cmd(("request", "check", "mla.json")),
        },
    )
    report = json.loads(expect(runs["mla"], 1).out)
    assert [(p["rule"], p["path"]) for p in report["problems"]] == [
        ("deadline-not-past", "deadline")
    ]
    assert report["problems"][0]["message"].startswith(f"Requested deadline ({yesterday})")
    report = json.loads(expect(runs["live"], 1).out)
    assert {(p["rule"], p["path"]) for p in report["problems"]} == {
        ("period-order", "collection_period.start"),
        ("collection-not-past", "collection_period.end"),
    }
    assert all(p["message"].startswith("Collection period") for p in report["problems"])
    table = " ".join(expect(runs["mla table"], 1).out.split())
    assert "Requested deadline" in table and "is already past" in table
