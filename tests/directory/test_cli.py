"""`hanoi directory ...` as people run it: the walkthrough of docs/directory.md, command by
command in real processes, then exit codes for a tampered file and for bad input."""

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
from pathlib import Path
from typing import Any

import pytest

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


def run(cwd: Path, command: str, stdin: str | None = None) -> Run:
    args = shlex.split(command)
    assert args[0] == "hanoi", command
    env = {k: v for k, v in os.environ.items() if k not in _TERMINAL_VARS}
    env["HANOI_HOME"] = str(cwd / "default-home")
    env["COLUMNS"] = "200"
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
        result = run(tmp_path, command)
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


def test_walkthrough_runs_as_documented(walked_once: tuple[Path, list[Run]]) -> None:
    folder, runs = walked_once
    by_command = {r.command.split(" --home")[0]: r for r in runs}
    assert [r.command.split()[2] for r in runs] == [
        "init",
        "add-state",
        "add-state",
        "sign-entry",
        "sign-entry",
        "publish",
        "trust",
        "refresh",
        "show",
        "show",
        "show",
    ]
    assert (
        "Published snapshot 2, timestamp 2 (new entries: XA, XB)."
        in by_command["hanoi directory publish --incoming xa-signed --incoming xb-signed"].out
    )
    refresh = next(r for r in runs if " refresh " in f"{r.command} ")
    assert "States: XA, XB." in refresh.out
    table = runs[-3].out
    assert "Arcadia (fictional)" in table and "Borealis (fictional)" in table
    detail = runs[-2].out
    assert "Art. 11(3)" in detail and "unconfirmed" in detail and "24/7" in detail
    xb = json.loads(runs[-1].out)
    assert xb["code"] == "XB" and xb["languages"] == ["en", "es"]
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
    forged = json.loads((DATA / "xa-entry.json").read_text())
    forged["node"]["public_keys"] = json.loads((DATA / "xb-entry.json").read_text())["node"][
        "public_keys"
    ]
    (folder / "forged.json").write_text(json.dumps(forged))
    signed = run(
        folder,
        "hanoi directory sign-entry forged.json --key examples/xb-node-key.pem --out forged "
        "--version 2 --home xb-node",
    )
    assert signed.code == 0, signed.err
    result = run(folder, "hanoi directory publish --incoming forged --home unodc")
    assert result.code == 1
    assert result.err.startswith("error: states-XA.json: signed by the key of XB (")
    assert result.err.endswith("a State signs only its own entry\n")


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
    ],
)
def test_bad_input_exits_2_with_one_line(
    walked_once: tuple[Path, list[Run]], command: str, message: str
) -> None:
    folder, _ = walked_once
    result = run(folder, command)
    assert result.code == 2, result
    assert message in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
