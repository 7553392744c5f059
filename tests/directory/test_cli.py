"""`hanoi directory ...` as people run it: the walkthrough of docs/directory.md, command by
command in real processes (two States with real node keys, made by `hanoi node init`), then
exit codes for a tampered file, another State's key, entries out of effect and bad input
(those commands run in the test process, see tests/cli/inprocess.py)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tuf.api.metadata import Metadata

from hanoi.crypto import KeyStore
from hanoi.directory.client import DirectoryClient
from hanoi.directory.repository import sign_entry
from tests.cli.inprocess import run_in_process
from tests.directory.conftest import DATA, Served, start_server, stop_server, tree_digest

HANOI = Path(sys.executable).parent / "hanoi"
DOC = Path(__file__).resolve().parents[2] / "docs" / "directory.md"
_TERMINAL_VARS = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
_SERVE = re.compile(r"^python3 -m http\.server (?P<port>[0-9]+) .*--directory (?P<dir>\S+)$")


@dataclass(frozen=True)
class Run:
    command: str
    code: int
    out: str
    err: str


def walkthrough_commands() -> list[str]:
    """The commands of the walkthrough's sh block, in order (comments and blanks dropped)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Walkthrough", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def run(cwd: Path, command: str, stdin: str | None = None, *, process: bool = False) -> Run:
    """Run the shell ``command`` (``hanoi ...``) in ``cwd``: in this process (see
    tests/cli/inprocess.py) unless ``process`` is set."""
    args = shlex.split(command)
    assert args[0] == "hanoi", command
    env = {k: v for k, v in os.environ.items() if k not in _TERMINAL_VARS}
    env["HANOI_HOME"] = str(cwd / "default-home")
    env["COLUMNS"] = "200"
    if not process:
        code, out, err = run_in_process(cwd, args[1:], (stdin or "").encode(), env)
        return Run(command, code, out, err)
    done = subprocess.run(
        [str(HANOI), *args[1:]],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(command, done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def walked_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Run]]]:
    """Run the documented walkthrough once; the web server step is served in-process."""
    tmp_path = tmp_path_factory.mktemp("walkthrough")
    shutil.copytree(DATA, tmp_path / "examples")
    servers = []

    def serve(folder: Path) -> Served:
        server, served = start_server(folder)
        servers.append(server)
        return served

    runs: list[Run] = []
    port: str | None = None
    url = ""
    for command in walkthrough_commands():
        served = _SERVE.match(command)
        if served:
            # The documented static server, started in-process on a free port instead.
            port = served["port"]
            url = serve(tmp_path / served["dir"]).url
            continue
        if port is not None:
            command = command.replace(f"http://127.0.0.1:{port}/", url)
        result = run(tmp_path, command, process=True)
        assert result.code == 0, f"{command}\n{result.err}"
        assert "Traceback" not in result.err
        runs.append(result)
    assert port is not None, "the walkthrough serves the repository"
    yield tmp_path, runs
    for server in servers:
        stop_server(server)


@pytest.fixture
def walked(
    walked_once: tuple[Path, list[Run]], tmp_path: Path, serve: Any
) -> tuple[Path, list[Run], str]:
    """A private copy of the walkthrough's folder, its repository served at a new URL."""
    source, runs = walked_once
    folder = tmp_path / "copy"
    shutil.copytree(source, folder, symlinks=True)
    return folder, runs, serve(folder / "unodc" / "secretariat" / "repository").url


def _signing_kid(node_home: Path) -> str:
    kid = KeyStore(node_home).active_kid("signing")
    assert kid is not None
    return kid


def test_walkthrough_runs_as_documented(walked_once: tuple[Path, list[Run]]) -> None:
    folder, runs = walked_once
    by_command = {r.command.split(" --home")[0]: r for r in runs}
    assert [" ".join(r.command.split()[1:3]) for r in runs] == [
        "directory init",
        "node init",
        "node init",
        "node show",
        "node show",
        "directory add-state",
        "directory add-state",
        "directory draft-entry",
        "directory draft-entry",
        "directory sign-entry",
        "directory sign-entry",
        "directory publish",
        "directory trust",
        "directory refresh",
        "directory show",
        "directory show",
        "directory show",
    ]
    xa_kid, xb_kid = _signing_kid(folder / "xa-node"), _signing_kid(folder / "xb-node")
    assert xa_kid != xb_kid

    # The exported key sets are public only, with each key's status.
    for name, kid in (("xa-node.jwks", xa_kid), ("xb-node.jwks", xb_kid)):
        jwks = json.loads((folder / name).read_text())
        assert all("d" not in k for k in jwks["keys"])
        assert [(k["kid"], k["status"]) for k in jwks["keys"] if k["crv"] == "Ed25519"] == [
            (kid, "active")
        ]

    # The Secretariat delegated each State to that State's node key, not to the demo keys.
    assert f"XA delegated to 1 key(s), threshold 1: {xa_kid}." in runs[5].out
    assert f"XB delegated to 1 key(s), threshold 1: {xb_kid}." in runs[6].out

    # The drafts carry the node's address and keys in place of the template's.
    template = json.loads((folder / "examples" / "xa-entry.json").read_text())
    drafted = json.loads((folder / "xa-entry.json").read_text())
    assert drafted["node"]["url"] == "http://127.0.0.1:8401"
    assert [k["kid"] for k in drafted["node"]["public_keys"]] == [
        k["kid"] for k in KeyStore(folder / "xa-node").public_jwks()["keys"]
    ]
    assert {k: v for k, v in drafted.items() if k != "node"} == {
        k: v for k, v in template.items() if k != "node"
    }

    # Each State's metadata is signed by its own node key.
    for code, kid in (("XA", xa_kid), ("XB", xb_kid)):
        handed_in = folder / f"{code.lower()}-signed" / f"states-{code}.json"
        md = Metadata.from_bytes(handed_in.read_bytes())
        assert list(md.signatures) == [kid]

    assert (
        "Published snapshot 2, timestamp 2 (new entries: XA, XB)."
        in by_command["hanoi directory publish --incoming xa-signed --incoming xb-signed"].out
    )
    refresh = next(r for r in runs if " refresh " in f"{r.command} ")
    assert "States: XA, XB." in refresh.out
    table = runs[-3].out
    assert "Arcadia (fictional)" in table and "Borealis (fictional)" in table
    assert "In effect" in table and "not in effect" not in table
    detail = runs[-2].out
    assert "Art. 11(3)" in detail and "unconfirmed" in detail and "24/7" in detail
    assert xa_kid in detail and "http://127.0.0.1:8401" in detail
    assert "NOT IN EFFECT" not in detail
    xb = json.loads(runs[-1].out)
    assert xb["code"] == "XB" and xb["languages"] == ["en", "es"]
    assert xb["node"]["url"] == "http://127.0.0.1:8402"
    assert runs[-1].err == ""
    for key_file in (folder / "unodc" / "secretariat" / "keys").rglob("*.pem"):
        assert key_file.stat().st_mode & 0o077 == 0


def test_tampered_byte_exits_1_naming_the_file_and_keeps_the_cache(
    walked: tuple[Path, list[Run], str],
) -> None:
    folder, _, url = walked
    current = folder / "node" / "directory" / "current"
    before = tree_digest(current)
    (entry_file,) = (folder / "unodc/secretariat/repository/targets/states/XA").iterdir()
    data = bytearray(entry_file.read_bytes())
    data[5] ^= 0x01
    entry_file.write_bytes(bytes(data))
    # Every refresh fetches the entries again into a fresh staging folder.
    result = run(folder, f"hanoi directory refresh --home node --url {url}")
    assert result.code == 1
    assert result.err == "error: states/XA/entry.json: length or hash mismatch\n"
    assert tree_digest(current) == before
    shown = run(folder, "hanoi directory show XA --json --home node")
    assert shown.code == 0 and json.loads(shown.out)["code"] == "XA"


def test_a_tampered_published_file_fails_a_fresh_refresh(
    walked: tuple[Path, list[Run], str],
) -> None:
    folder, _, url = walked
    trust = (
        "hanoi directory trust unodc/secretariat/repository/metadata/1.root.json "
        f"--url {url} --home node2"
    )
    (entry_file,) = (folder / "unodc/secretariat/repository/targets/states/XB").iterdir()
    data = bytearray(entry_file.read_bytes())
    data[-3] ^= 0x01
    entry_file.write_bytes(bytes(data))
    assert run(folder, trust).code == 0
    result = run(folder, "hanoi directory refresh --home node2")
    assert (result.code, result.err) == (
        1,
        "error: states/XB/entry.json: length or hash mismatch\n",
    )
    shown = run(folder, "hanoi directory show --home node2")
    assert shown.code == 2 and "no verified copy of the directory yet" in shown.err


def test_another_states_key_is_refused_at_publish_with_exit_1(
    walked: tuple[Path, list[Run], str],
) -> None:
    folder, _, _ = walked
    # XB's node puts its own keys into XA's entry and signs it. The CLI refuses to do that
    # (see the bad-input cases), so this forger uses the library directly.
    forged = json.loads((folder / "xa-entry.json").read_text())
    forged["node"] = json.loads((folder / "xb-entry.json").read_text())["node"]
    forged["version"] = 2
    xb_key = KeyStore(folder / "xb-node").signing_key()
    sign_entry(json.dumps(forged).encode(), xb_key.key, version=2, kid=xb_key.kid).write(
        folder / "forged"
    )
    result = run(folder, "hanoi directory publish --incoming forged --home unodc")
    assert result.code == 1
    assert result.err.startswith(f"error: states-XA.json: signed by the key of XB ({xb_key.kid}")
    assert result.err.endswith("a State signs only its own entry\n")


def test_a_pem_key_nobody_delegated_is_refused_at_publish(
    walked: tuple[Path, list[Run], str],
) -> None:
    folder, _, _ = walked
    # --key signs with a PEM key instead of the node's: the demo template lists the demo key,
    # so signing succeeds, but XA is delegated to its node key, not to that one.
    signed = run(
        folder,
        "hanoi directory sign-entry examples/xa-entry.json --key examples/xa-node-key.pem "
        "--out pem-signed --version 2 --home xa-node",
    )
    assert signed.code == 0, signed.err
    result = run(folder, "hanoi directory publish --incoming pem-signed --home unodc")
    assert result.code == 1
    assert result.err.startswith("error: states-XA.json: signed by an unknown key ")


def _out_of_effect(folder: Path, code: str, start: date, end: date | None, out: str) -> None:
    entry = json.loads((folder / f"{code.lower()}-entry.json").read_text())
    entry.update(version=2, effective_from=start.isoformat())
    if end is not None:
        entry["valid_until"] = end.isoformat()
    (folder / f"{out}.json").write_text(json.dumps(entry))
    signed = run(
        folder,
        f"hanoi directory sign-entry {out}.json --home {code.lower()}-node --out {out} --version 2",
    )
    assert signed.code == 0, signed.err


def test_show_says_which_entries_are_not_in_effect(walked: tuple[Path, list[Run], str]) -> None:
    folder, _, url = walked
    today = datetime.now(UTC).date()
    _out_of_effect(folder, "XA", today - timedelta(days=400), today - timedelta(days=2), "xa-old")
    _out_of_effect(folder, "XB", today + timedelta(days=30), None, "xb-future")
    published = run(
        folder, "hanoi directory publish --incoming xa-old --incoming xb-future --home unodc"
    )
    assert published.code == 0, published.err
    refreshed = run(folder, f"hanoi directory refresh --home node --url {url}")
    assert refreshed.code == 0, refreshed.err

    table = run(folder, "hanoi directory show --home node")
    assert table.code == 0
    assert f"no longer in effect: valid until {today - timedelta(days=2)}" in table.out
    assert f"not yet in effect: effective from {today + timedelta(days=30)}" in table.out

    detail = run(folder, "hanoi directory show XA --home node")
    assert detail.code == 0 and "NOT IN EFFECT: no longer in effect" in detail.out

    as_json = run(folder, "hanoi directory show XB --json --home node")
    assert as_json.code == 0 and json.loads(as_json.out)["effective_from"] == str(
        today + timedelta(days=30)
    )
    assert as_json.err == (
        f"warning: XB: not yet in effect: effective from {today + timedelta(days=30)} "
        f"(today is {today}, UTC)\n"
    )

    # The node keeps both verified entries but uses neither.
    client = DirectoryClient(folder / "node")
    assert [e.code for e in client.verified_entries()] == ["XA", "XB"]
    assert client.entries() == [] and client.entry("XA") is None


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("hanoi directory show XC --home node", "error: XC: no entry in this node's copy"),
        ("hanoi directory add-state XQ --key examples/nothing.jwk --home unodc", "cannot read"),
        ("hanoi directory add-state XA --key examples/README.md --home unodc", "neither a PEM"),
        ("hanoi directory publish --home nowhere", "no Secretariat repository here"),
        ("hanoi directory init --home unodc", "already holds a Secretariat repository"),
        (
            "hanoi directory sign-entry examples/xb-node.jwks.json --key examples/xa-node-key.pem"
            " --home xa-node",
            "format: Field required",
        ),
        (
            "hanoi directory draft-entry examples/xb-entry.json --home xa-node -o stolen.json",
            "the template is the entry of XB, but this node speaks for XA",
        ),
        (
            "hanoi directory sign-entry xb-entry.json --home xa-node --out stolen",
            "this node speaks for XA: a State signs only its own entry",
        ),
        (
            "hanoi directory draft-entry examples/xa-entry.json --home nowhere -o x.json",
            "no node identity in",
        ),
        (
            "hanoi directory draft-entry examples/xa-entry.json --home xa-node -o xa-entry.json",
            "already exists",
        ),
        ("hanoi node show --jwks -o xa-node.jwks --home xa-node", "already exists"),
        ("hanoi node show -o other.jwks --home xa-node", "use it with --jwks"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    walked_once: tuple[Path, list[Run]], command: str, message: str
) -> None:
    folder, _ = walked_once
    before = sorted(p.name for p in folder.iterdir())
    result = run(folder, command)
    assert result.code == 2, result
    assert message in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written
