"""docs/identity.md, run: every ``$ `` command of its console blocks, in order, in one bash
session on a pseudo-terminal (age asks for passphrases there), as a reader would type them."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from hanoi.crypto import KeyStore
from tests.crypto.terminal import run_on_terminal

DOC = Path(__file__).resolve().parents[2] / "docs" / "identity.md"
PASSPHRASE = "correct horse battery staple"


def doc_commands() -> list[str]:
    commands = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        commands += [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    return commands


def test_the_doc_shows_the_commands_it_promises() -> None:
    commands = doc_commands()
    for needed in (
        "hanoi node init ",
        "hanoi node show",
        "hanoi node show --json",
        "hanoi node show --jwks -o ",
        "hanoi node rotate-key signing",
        "hanoi node rotate-key encryption",
        "hanoi node revoke-key ",
        "age -e -r ",
        'age -d -i "$HANOI_HOME/keys/age-identity.txt"',
        'age -d -i "$PWD/xb-node/keys/age-identity.txt.age"',
    ):
        assert any(c.startswith(needed) for c in commands), needed


def test_every_command_in_the_doc_runs(tmp_path: Path) -> None:
    script = tmp_path / "doc.sh"
    lines = ["set -euo pipefail"]
    for number, command in enumerate(doc_commands(), 1):
        lines += [f"echo '>>> command {number}'", command]
    lines.append("echo DOC-DONE")
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith("HANOI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("COLUMNS", None)
    run = run_on_terminal(["bash", str(script)], PASSPHRASE, cwd=str(tmp_path), env=env)
    assert run.code == 0 and "DOC-DONE" in run.transcript, run.transcript
    assert "Traceback" not in run.transcript and "error:" not in run.transcript
    # read -p, age -d -i with the protected identity, age -d of the identity file.
    assert run.prompts == 3, run.transcript

    evidence = (tmp_path / "evidence.txt").read_bytes()
    assert evidence == b"test evidence\n"
    assert (tmp_path / "opened.txt").read_bytes() == evidence
    assert (tmp_path / "opened-xb.txt").read_bytes() == evidence

    xa, xb = KeyStore(tmp_path / "xa-node"), KeyStore(tmp_path / "xb-node")
    assert xa.age_recipient() in run.transcript  # age-keygen -y printed the same recipient
    plain_copy = (tmp_path / "xb-age-identity.txt").read_text()
    assert plain_copy.splitlines()[1] == f"# public key: {xb.age_recipient()}"
    assert xb.keyring().protected and len(xb.records()) == 3  # rotated with the passphrase
    xb.signing_key(PASSPHRASE)

    statuses = sorted((r.kind, r.status) for r in xa.records())
    assert statuses == [
        ("encryption", "active"),
        ("encryption", "grace"),
        ("signing", "active"),
        ("signing", "grace"),
        ("signing", "revoked"),
    ]
    node = json.loads((tmp_path / "xa-node" / "node.json").read_text())
    assert node["kids"]["signing"] == xa.signing_key().kid
    # The exported key set: the keys as they were then (before any rotation), public only.
    exported = json.loads((tmp_path / "xa-node.jwks").read_text())
    assert [(k["crv"], k["status"]) for k in exported["keys"]] == [
        ("Ed25519", "active"),
        ("X25519", "active"),
    ]
    assert all("d" not in k for k in exported["keys"])
