"""The `hanoi` command as people run it: its exit code and its output.

Every test runs `hanoi` with its own ``HANOI_HOME`` under ``tmp_path``. The contract under
test (README, ``cli/errors.py``): exit 0 ok, 1 the checked request has problems, 2 bad usage
or unreadable input, and bad input never shows a traceback: it gets one line on stderr
starting ``error:``.

The tests in this module start `.venv/bin/hanoi` as a real process (``process=True``),
several side by side (``hanoi_many``), so the contract is checked as people meet it. The
other modules' tests run the command inside the test process (tests/cli/inprocess.py): the
same exit codes and output, without a Python start-up for each of hundreds of commands.
Results shared by several tests come from module fixtures.

The helpers here are imported by the other ``tests/cli`` modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hanoi.cli.lazy import Group
from hanoi.cli.output import console
from hanoi.convention import CHAPTERS, get_convention
from tests.cli.inprocess import run_in_process

HANOI = Path(sys.executable).parent / "hanoi"
EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "requests"

# Terminal hints that would change how Rich lays out text; a test must see what a pipe or a
# log file sees, whatever terminal pytest itself was started from.
_TERMINAL_VARS = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")

CONFIDENCES = {"confirmed", "unconfirmed"}
INSTRUMENT_KINDS = [
    "preservation",
    "traffic-disclosure",
    "mla",
    "mla-stored-data",
    "realtime-traffic",
    "interception",
    "extradition",
    "police-information",
    "spontaneous-information",
    "confiscation",
]


# --- running the command ---------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def __str__(self) -> str:  # shown by pytest when an assertion fails
        return (
            f"hanoi {' '.join(self.args)} -> {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}"
        )


@dataclass(frozen=True)
class Cmd:
    args: tuple[str, ...]
    stdin: bytes = b""
    env: Mapping[str, str] | None = field(default=None, hash=False)


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment with a private node folder and cheap password hashing."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _TERMINAL_VARS and not key.startswith("HANOI_")
    }
    env["HANOI_HOME"] = str(home)
    env["HANOI_ARGON2_PROFILE"] = "test"
    env.update(extra)
    return env


def hanoi(
    cwd: Path,
    *args: str,
    stdin: str | bytes = b"",
    env: Mapping[str, str] | None = None,
    process: bool = False,
) -> Run:
    """Run ``hanoi ARGS`` in ``cwd``; stdin is always given so nothing waits on a terminal.

    In this process (tests/cli/inprocess.py) unless ``process`` is set; ``hanoi up`` and
    ``hanoi demo`` always start a real process."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    environment = dict(env) if env is not None else cli_env(cwd / "hanoi-home")
    if not process and args[:1] not in (("up",), ("demo",)):
        return Run(tuple(args), *run_in_process(cwd, args, data, environment))
    proc = subprocess.run(
        [str(HANOI), *args],
        cwd=cwd,
        env=environment,
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return Run(
        tuple(args),
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def hanoi_many(cwd: Path, commands: Mapping[str, Cmd], *, process: bool = False) -> dict[str, Run]:
    """Run independent commands (real processes side by side); results keyed like
    ``commands``."""
    with ThreadPoolExecutor(max_workers=4 if process else 1) as pool:
        futures = {
            name: pool.submit(hanoi, cwd, *cmd.args, stdin=cmd.stdin, env=cmd.env, process=process)
            for name, cmd in commands.items()
        }
        return {name: future.result() for name, future in futures.items()}


def expect(run: Run, code: int) -> Run:
    assert "Traceback" not in run.err, run
    assert run.code == code, run
    return run


def expect_usage_error(run: Run, *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line starting ``error:``; returns it."""
    expect(run, 2)
    assert run.out == "", run
    lines = run.err.splitlines()
    assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{run}"
    assert lines[0].startswith("error: "), run
    for fragment in fragments:
        assert fragment in lines[0], run
    return lines[0]


# --- request documents -----------------------------------------------------------------


def example(kind: str) -> dict[str, Any]:
    """A complete request of ``kind``, dated today so the date rule cannot fire."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    data["date_of_request"] = date.today().isoformat()
    return data


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def value_at(data: object, dotted: str) -> object:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def is_blank(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def table_cells(text: str, column: int) -> list[str]:
    """The stripped cells of one column of a Rich table (continuation lines included)."""
    cells = []
    for line in text.splitlines():
        parts = line.split("│")
        if len(parts) > column + 1:
            cells.append(parts[column + 1].strip())
    return cells


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- help ------------------------------------------------------------------------------


GROUPS = ["convention", "treaty", "request", "db", "authority", "user", "up", "node", "directory"]


def test_help_for_the_command_and_every_group(tmp_path: Path) -> None:
    commands = {"hanoi": Cmd(("--help",))}
    commands.update({group: Cmd((group, "--help")) for group in GROUPS})
    runs = hanoi_many(tmp_path, commands, process=True)
    top = expect(runs["hanoi"], 0)
    for group in GROUPS:
        assert group in top.out, top
        assert "Usage:" in expect(runs[group], 0).out, runs[group]
    assert "articles" in runs["convention"].out
    for command in ("new", "check", "render"):
        assert command in runs["request"].out, runs["request"]


# --- convention ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def convention_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    cwd = tmp_path_factory.mktemp("convention")
    commands = {
        "articles-json": Cmd(("convention", "articles", "--json")),
        "articles": Cmd(("convention", "articles")),
        "instruments-json": Cmd(("convention", "instruments", "--json")),
        "offences-json": Cmd(("convention", "offences", "--json")),
    }
    return hanoi_many(cwd, commands, process=True)


def test_articles_json_lists_the_68_articles(convention_runs: dict[str, Run]) -> None:
    articles = json.loads(expect(convention_runs["articles-json"], 0).out)
    assert [a["number"] for a in articles] == list(range(1, 69))
    data = get_convention()
    for article in articles:
        number = article["number"]
        assert isinstance(article["title"], str) and article["title"].strip(), article
        assert article["chapter"] in CHAPTERS, article
        _, first, last = CHAPTERS[article["chapter"]]
        assert first <= number <= last, article
        assert article["confidence"] in CONFIDENCES, article
        assert article["confidence"] == data.article(number).confidence
    # Both values occur: the flag is data, not a constant.
    assert {a["confidence"] for a in articles} == CONFIDENCES


def test_articles_table_lists_every_article_with_its_confidence(
    convention_runs: dict[str, Run],
) -> None:
    run = expect(convention_runs["articles"], 0)
    numbers = [int(cell) for cell in table_cells(run.out, 0) if cell.isdigit()]
    assert numbers == list(range(1, 69)), run
    confidences = [cell for cell in table_cells(run.out, 3) if cell]
    assert confidences == [a.confidence for a in get_convention().articles], run


def test_instruments_json_has_the_ten_kinds_and_sourced_elements(
    convention_runs: dict[str, Run],
) -> None:
    instruments = json.loads(expect(convention_runs["instruments-json"], 0).out)
    assert [i["kind"] for i in instruments] == INSTRUMENT_KINDS
    for instrument in instruments:
        assert instrument["elements"], instrument["kind"]
        assert instrument["article"].startswith("Art. "), instrument["kind"]
        for element in instrument["elements"]:
            where = f"{instrument['kind']}/{element.get('id')}"
            assert element["article"].startswith("Art. "), where
            assert element["confidence"] in CONFIDENCES, where
            assert element["basis"] in {"convention", "platform"}, where
            assert element["severity"] in {"error", "warning"}, where
        ids = [e["id"] for e in instrument["elements"]]
        assert ids == [e.id for e in get_convention().instrument(instrument["kind"]).elements]
    preservation = next(i for i in instruments if i["kind"] == "preservation")
    assert preservation["article"] == "Art. 42"


def test_offences_json_lists_the_offence_codes(convention_runs: dict[str, Run]) -> None:
    offences = json.loads(expect(convention_runs["offences-json"], 0).out)
    expected = [o.code for o in get_convention().offences]
    assert [o["code"] for o in offences] == expected
    assert "UNCC-07" in expected
    for offence in offences:
        assert offence["article"].startswith("Art. "), offence
        assert offence["confidence"] in CONFIDENCES, offence
        assert offence["name"].strip(), offence


def test_the_choices_the_cli_offers_are_the_domains_own(tmp_path: Path) -> None:
    """`hanoi request new` and `render` offer the lists of choices the domain defines (the
    CLI takes them from hanoi.convention and hanoi.cases.render, and must keep doing so)."""
    from hanoi.cases.render import LetterFormat, LetterLanguage
    from hanoi.convention import KINDS

    runs = hanoi_many(
        tmp_path,
        {"new": Cmd(("request", "new", "--help")), "render": Cmd(("request", "render", "--help"))},
    )
    new, render = (" ".join(expect(runs[c], 0).out.replace("│", " ").split()) for c in runs)
    assert f"One of: {', '.join(KINDS)}." in new, new
    assert f"<{'|'.join(LetterLanguage)}>" in render, render
    assert f"<{'|'.join(LetterFormat)}>" in render, render


@pytest.mark.parametrize("args", [["--help"], ["request", "--help"], ["exchange", "--help"]])
def test_help_lists_the_commands_without_importing_them(args: list[str]) -> None:
    """`hanoi --help` and a group's help are answered from the table of commands
    (hanoi.cli.main) without importing any command module: each is imported when its
    command runs."""
    script = (
        "import sys\n"
        "from hanoi.cli.main import app\n"
        "try:\n"
        f"    app.main({args!r}, prog_name='hanoi')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('hanoi', 'sqlalchemy')))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    *_, imported = proc.stdout.splitlines()
    assert imported.split() == ["hanoi", "hanoi.cli", "hanoi.cli.lazy", "hanoi.cli.main"], imported
    from hanoi.cli.main import COMMANDS

    listed = COMMANDS if args == ["--help"] else _group(args[0]).entries
    for item in listed:
        assert f"│ {item.name} " in proc.stdout, item


def _group(name: str) -> Group:
    from hanoi.cli.main import COMMANDS

    return next(item for item in COMMANDS if isinstance(item, Group) and item.name == name)


def test_each_command_listed_has_the_help_its_module_gives_it() -> None:
    """The one-line help in the table of commands (hanoi.cli.main) is the first paragraph
    of each command's docstring, each command is in the module the table names, and every
    command a module defines is in the table."""
    import importlib

    import typer

    from hanoi.cli.lazy import LazyCommand
    from hanoi.cli.main import COMMANDS

    def first_paragraph(text: str | None) -> str:
        return " ".join((text or "").split("\n\n")[0].split())

    commands = [
        e for item in COMMANDS for e in (item.entries if isinstance(item, Group) else [item])
    ]
    for entry in commands:
        loaded = LazyCommand(entry).loaded
        assert first_paragraph(loaded.help) == entry.help, entry
        # An entry may be a group of its own (``hanoi user token``): its commands, then.
        for command in getattr(loaded, "commands", {}).values() or [loaded]:
            assert command.callback is not None, entry
            assert command.callback.__module__ == f"hanoi.cli.{entry.module}", entry
    listed = {(entry.module, entry.name) for entry in commands}
    for module in {entry.module for entry in commands}:
        app = importlib.import_module(f"hanoi.cli.{module}").app
        for name in typer.main.get_group(app).commands:
            assert (module, name) in listed, f"hanoi.cli.{module} defines {name}, not listed"


#: What a command that opens the node must not load for it: signing in (argon2, TOTP),
#: SQLAlchemy's PostgreSQL dialect on a SQLite node, JOSE for opening the keys.
NODE_LEFT_OUT = (
    "hanoi.accounts.service",
    "hanoi.accounts.session_models",
    "argon2",
    "pyotp",
    "sqlalchemy.dialects.postgresql",
    "joserfc",
)

#: By command module: what only other commands need, which it must leave unimported.
LEFT_OUT = {
    "request_view": (  # reading requests: not the sending, the timeline's writing, the peers
        "hanoi.cases.documents",
        "hanoi.cases.drafting_models",
        "hanoi.cases.sending",
        "hanoi.cases.timeline",
        "hanoi.exchange.peers",
        "tuf",
        "ulid",  # no new row's id
        *NODE_LEFT_OUT,
    ),
    "exchange": (
        "hanoi.exchange.delivery",
        "hanoi.exchange.receipt_proofs",
        "httpx",
        *NODE_LEFT_OUT,
    ),
    "treaty": (  # the record is YAML and pydantic: no node, no database, no network
        "sqlalchemy",
        "hanoi.convention",
        "hanoi.directory",
        "hanoi.cases",
        "tuf",
        "httpx",
        "joserfc",
        "cryptography",
        "babel",
    ),
    "ledger_prove": ("hanoi.ledger.witnessing", "hanoi.ledger.keys", "httpx", *NODE_LEFT_OUT),
    "evidence": (  # sealing, verifying: the directory's copy read without TUF, no delivery
        "hanoi.cases",
        "hanoi.directory.client",
        "hanoi.directory.fixture",
        "tuf",
        "securesystemslib",
        "yaml",
        "sqlalchemy",
        "httpx",
        "joserfc",  # a signature is checked with it, not made
        "rich.progress",  # the bar is made on a terminal only
        "pycountry",  # the entries are read without it
    ),
}

#: What `hanoi evidence seal --request` must not load while it seals and records (the
#: request, the package, the timeline's event and audit row): the directory through TUF
#: (the recipient comes from the verified copy), the demo fixture and YAML, the Convention
#: and the life cycle's rules (a status is checked, no action applied), the outbox (nothing
#: is sent), delivery and its HTTP client; the ledger's tree, proofs and signed notes (an
#: event is queued); drafts and approval rules; pycountry; off a terminal, Rich's progress bar.
SEAL_REQUEST_LEFT_OUT = (
    "hanoi.directory.client",
    "hanoi.directory.fixture",
    "tuf",
    "securesystemslib",
    "yaml",
    "hanoi.convention",
    "hanoi.cases.lifecycle",
    "hanoi.cases.messages",
    "hanoi.exchange.outbox",
    "hanoi.exchange.models",
    "hanoi.cases.evidence",
    "hanoi.exchange.delivery",
    "httpx",
    "hanoi.ledger.store",
    "hanoi.ledger.models",
    "hanoi.crypto.note",
    "hanoi.cases.drafting_models",
    "pycountry",
    "rich.progress",
    # Nor joserfc: the manifest's detached JWS is signed with cryptography alone.
    *NODE_LEFT_OUT,
)


@pytest.mark.parametrize("module", sorted(LEFT_OUT))
def test_a_command_module_imports_only_what_its_commands_need(module: str) -> None:
    """A command imports its own module (hanoi.cli.lazy) and that module imports what its
    commands use: reading the node's database loads neither the other commands' domain
    nor the network's clients."""
    script = f"import sys, hanoi.cli.{module}; print(' '.join(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(proc.stdout.split())
    assert f"hanoi.cli.{module}" in loaded
    assert [name for name in LEFT_OUT[module] if name in loaded] == []


def test_a_node_is_opened_with_its_keys_and_its_peers_when_asked(tmp_path: Path) -> None:
    """Loading this node's identity opens its keys at once, without JOSE (joserfc); its
    peers (the verified directory) are loaded when first asked for, not by every command,
    and the directory's copy is read without TUF, nor JOSE (a peer's JOSE key is made to
    send to it)."""
    home = tmp_path / "home"
    init = ("node", "init", "--state", "XA", "--name", "Arcadia node", "--url", "https://x.test")
    expect(hanoi(tmp_path, *init, env=cli_env(home)), 0)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hanoi.exchange.identity import LocalNode\n"
        "def peers():\n"
        "    return [m for m in ('hanoi.exchange.peers', 'tuf', 'joserfc') if m in sys.modules]\n"
        "node = LocalNode.load(Path(sys.argv[1]))\n"
        "print(node.state, node.signing_key.kid, *peers())\n"
        "print(node.peers is node.peers, node.directory.is_pinned, *peers())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(home)], capture_output=True, text=True, check=True
    )
    opened, asked = proc.stdout.splitlines()
    assert opened.split()[0] == "XA" and len(opened.split()) == 2, opened
    assert asked.split() == ["True", "False", "hanoi.exchange.peers"], asked


def test_reading_the_node_loads_neither_sign_in_nor_jose(tmp_path: Path) -> None:
    """`hanoi request list` opens the whole node (settings, database, keys, the acting
    user) and loads none of NODE_LEFT_OUT while doing it."""
    home = tmp_path / "home"
    env = cli_env(home, HANOI_USER="alice")
    init = ("node", "init", "--state", "XA", "--name", "Arcadia node", "--url", "https://x.test")
    expect(hanoi(tmp_path, *init, env=env), 0)
    authority = ("authority", "add", "XA-CA", "--state", "XA", "--name", "Arcadia CA")
    expect(hanoi(tmp_path, *authority, "--kind", "central_authority", env=env), 0)
    user = ("user", "add", "alice", "--role", "mla_officer", "--authority", "XA-CA")
    expect(hanoi(tmp_path, *user, "--password-stdin", stdin="a long enough password\n", env=env), 0)
    script = (
        "import sys\n"
        "from hanoi.cli.main import app\n"
        "try:\n"
        "    app.main(['request', 'list'], prog_name='hanoi')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        f"print(*[m for m in {NODE_LEFT_OUT!r} if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    listed, loaded = proc.stdout.splitlines()
    assert listed == "No requests." and loaded == "", proc.stdout


def test_a_command_loads_its_code_outside_the_garbage_collector_and_leaves_it_running() -> None:
    """hanoi.cli.lazy.code_loading: the collector is paused while a command's module is
    imported, what was imported is then frozen out of it, and it runs again afterwards
    (or stays off, if it was off). Loading nothing new freezes nothing more."""
    script = (
        "import gc, sys\n"
        "from hanoi.cli.lazy import Entry, LazyCommand, code_loading\n"
        "if sys.argv[1] == 'off':\n"
        "    gc.disable()\n"
        "LazyCommand(Entry('list', '', 'request_view')).loaded\n"
        "frozen = gc.get_freeze_count()\n"
        "made = [[n] for n in range(1000)]\n"
        "with code_loading():\n"
        "    import hanoi.cli.request_view\n"
        "print(gc.isenabled(), frozen > 10_000, gc.get_freeze_count() == frozen)\n"
    )
    for state, expected in (("on", "True True True"), ("off", "False True True")):
        proc = subprocess.run(
            [sys.executable, "-c", script, state], capture_output=True, text=True, check=True
        )
        assert proc.stdout.strip() == expected, (state, proc.stdout)


def test_text_is_printed_as_typed_never_as_markup_or_emoji() -> None:
    typed = "Threat sent :bomb: to [red]the bank[/] — see [link=http://x.example]here[/link]"
    with console.capture() as captured:
        console.print(typed)
    assert captured.get() == typed + "\n"
