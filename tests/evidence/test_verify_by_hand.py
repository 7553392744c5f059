"""docs/verify-by-hand.md, run as written: the court expert's commands, with real `openssl`,
`sha256sum`, `age`, `jq` and `case_validate`, pass on a sealed package and stop at the
right step when one byte is wrong.

The ```sh blocks of the page are run in order, by bash with ``set -euo pipefail``, in a
folder holding the package and the files the page names. ``case_validate`` takes seconds a
run, so only two tests reach it: the good package and the one with an invalid custody graph.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from hanoi.crypto.keys import KeyStore
from hanoi.evidence.manifest import Recipient, Sealer
from hanoi.evidence.package import seal_package

DOC = Path(__file__).resolve().parents[2] / "docs" / "verify-by-hand.md"
VENV_BIN = Path(sys.executable).parent
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TOOLS = ("bash", "openssl", "sha256sum", "basenc", "cut", "tr", "diff", "jq", "age")

# The page's blocks, in order.
SETUP, SIGNATURE, PAYLOAD, OPEN, CUSTODY = range(5)
STEPS = ("setup", "signature", "payload", "open", "custody")
# What the folder holds, under the names the page's first block gives.
PKG, KEYS, IDENTITY, OUT = "pkg", "sealer-keys.json", "age-identity.txt", "opened"


def _blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.M | re.S)


@dataclass(frozen=True)
class Run:
    code: int
    reached: str
    output: str


def _run(folder: Path, upto: int = CUSTODY) -> Run:
    """The page's blocks up to ``upto``, as one bash script; which block it stopped in."""
    steps = folder.parent / f"{folder.name}.steps"
    log = shlex.quote(str(steps))
    script = ["set -euo pipefail"]
    for index, block in enumerate(_blocks()[: upto + 1]):
        script += [f"echo {STEPS[index]} >> {log}", block]
    script.append(f"echo done >> {log}")
    env = dict(
        os.environ,
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        LC_ALL="C.UTF-8",
        TMPDIR=str(folder.parent),  # the page's mktemp -d, kept beside the test's folder
    )
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    reached = steps.read_text().split()[-1]
    return Run(done.returncode, reached, done.stdout + done.stderr)


def _assert_stopped_in(run: Run, step: str) -> None:
    assert run.code != 0, run.output
    assert run.reached == step, run.output


@dataclass(frozen=True)
class Sealed:
    folder: Path
    originals: dict[str, bytes]
    public_pem: bytes
    stranger_keys: dict[str, Any]
    stranger_identity: Path
    keys: dict[str, Any]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    """One package sealed by XB for XA, beside XB's public keys and XA's age identity."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not (VENV_BIN / "case_validate").exists():
        missing.append("case_validate")
    assert not missing, f"not installed: {missing} (see scripts/system-deps.sh)"
    root = tmp_path_factory.mktemp("by-hand")
    stores = {code: KeyStore(root / "nodes" / code) for code in ("XA", "XB", "XC")}
    for store in stores.values():
        store.init()
    sources = root / "in"
    sources.mkdir()
    originals = {
        "mailbox.mbox": b"From suspect@borealis.example\n" + os.urandom(300_000),
        "connection logs.csv": b"time,ip\n2026-10-01T10:00:00Z,203.0.113.45\n",
        "relevé d'appels $HOME.txt": "appel sortant à 10:02\n".encode(),
    }
    for name, data in originals.items():
        (sources / name).write_bytes(data)
    folder = root / "case"
    folder.mkdir()
    signing = stores["XB"].signing_key()
    seal_package(
        [sources / name for name in originals],
        out=folder / PKG,
        recipient=Recipient(
            state="XA", authority="XA-CA", age_recipient=stores["XA"].age_recipient()
        ),
        sealer=Sealer(state="XB", authority="XB-CA", officer="officer", node_kid=signing.kid),
        signing_key=signing,
        request="XA-2026-000002",
        now=NOW,
    )
    keys = stores["XB"].public_jwks()
    (folder / KEYS).write_text(json.dumps(keys, indent=2))
    shutil.copyfile(stores["XA"].age_identity_path, folder / IDENTITY)
    public_pem = signing.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Sealed(
        folder=folder,
        originals=originals,
        public_pem=public_pem,
        stranger_keys=stores["XC"].public_jwks(),
        stranger_identity=stores["XC"].age_identity_path,
        keys=keys,
    )


@pytest.fixture
def case(sealed: Sealed, tmp_path: Path) -> Path:
    """A copy of the expert's folder this test may damage."""
    return Path(shutil.copytree(sealed.folder, tmp_path / "case"))


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_page_has_one_block_per_step() -> None:
    blocks = _blocks()
    assert len(blocks) == len(STEPS)
    assert f"PKG={PKG} " in blocks[SETUP]
    assert f"KEYS={KEYS} " in blocks[SETUP]
    assert f"IDENTITY={IDENTITY} " in blocks[SETUP]
    assert f"OUT={OUT} " in blocks[SETUP]
    assert "openssl pkeyutl -verify" in blocks[SIGNATURE]
    assert "sha256sum --strict --check" in blocks[PAYLOAD]
    assert "age -d -i" in blocks[OPEN]
    assert "case_validate" in blocks[CUSTODY]


def test_every_step_passes_on_a_sealed_package(sealed: Sealed, case: Path) -> None:
    run = _run(case)
    assert (run.code, run.reached) == (0, "done"), run.output
    assert "Signature Verified Successfully" in run.output
    assert "Conforms: True" in run.output
    assert "MISMATCH" not in run.output
    for index, name in enumerate(sealed.originals, start=1):
        assert f"payload/{index:04d}.age: OK" in run.output
        assert f"{name}: OK" in run.output
        assert (case / OUT / name).read_bytes() == sealed.originals[name]
    # The PEM the page makes from the published JWK is the sealing node's key.
    assert (case / "sealer-public.pem").read_bytes() == sealed.public_pem


def test_a_flipped_byte_in_a_payload_fails_the_sha256_step(case: Path) -> None:
    payload = case / PKG / "payload" / "0002.age"
    _flip(payload, payload.stat().st_size // 2)
    run = _run(case)
    _assert_stopped_in(run, "payload")
    assert "payload/0002.age: FAILED" in run.output
    assert "payload/0001.age: OK" in run.output


def test_a_payload_file_added_fails_the_sha256_step(case: Path) -> None:
    (case / PKG / "payload" / "0004.age").write_bytes(b"planted")
    run = _run(case)
    _assert_stopped_in(run, "payload")
    assert "> payload/0004.age" in run.output


def test_a_flipped_byte_in_the_manifest_fails_the_signature(case: Path) -> None:
    manifest = case / PKG / "manifest.json"
    data = manifest.read_bytes()
    # A digit of a listed hash: the manifest stays well-formed JSON naming the same key,
    # so the failure is OpenSSL's verdict on the signature, not a parse error.
    _flip(manifest, data.index(b'"ciphertext_sha256":"') + len(b'"ciphertext_sha256":"') + 5)
    run = _run(case)
    _assert_stopped_in(run, "signature")
    assert "Signature Verification Failure" in run.output


def test_a_byte_flipped_anywhere_in_the_manifest_fails_the_signature(case: Path) -> None:
    manifest = case / PKG / "manifest.json"
    _flip(manifest, manifest.stat().st_size // 2)
    run = _run(case, upto=SIGNATURE)
    _assert_stopped_in(run, "signature")


def test_a_flipped_byte_in_the_signature_fails(case: Path) -> None:
    signature = case / PKG / "manifest.jws"
    text = signature.read_text()
    at = text.rindex(".") + 10
    signature.write_text(text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :])
    run = _run(case, upto=SIGNATURE)
    _assert_stopped_in(run, "signature")
    assert "Signature Verification Failure" in run.output


def test_another_nodes_keys_fail_the_signature(sealed: Sealed, case: Path) -> None:
    (case / KEYS).write_text(json.dumps(sealed.stranger_keys))
    run = _run(case, upto=SIGNATURE)
    _assert_stopped_in(run, "signature")
    assert "MISMATCH: no key" in run.output


def test_the_keys_may_come_from_the_directory_entry(sealed: Sealed, case: Path) -> None:
    entry = {
        "format": "hanoi.directory-entry/1",
        "code": "XB",
        "node": {"url": "https://xb.example/", "public_keys": sealed.keys["keys"]},
    }
    (case / KEYS).write_text(json.dumps(entry))
    run = _run(case, upto=PAYLOAD)
    assert (run.code, run.reached) == (0, "done"), run.output
    assert "Signature Verified Successfully" in run.output


def test_another_nodes_age_identity_cannot_open(sealed: Sealed, case: Path) -> None:
    shutil.copyfile(sealed.stranger_identity, case / IDENTITY)
    run = _run(case, upto=OPEN)
    _assert_stopped_in(run, "open")
    assert "no identity matched any of the recipients" in run.output


def test_a_custody_graph_about_other_files_fails_before_case_validate(case: Path) -> None:
    custody = case / PKG / "custody.jsonld"
    manifest = json.loads((case / PKG / "manifest.json").read_bytes())
    digest = manifest["files"][0]["sha256"]
    other = ("0" if digest[0] != "0" else "1") + digest[1:]
    custody.write_text(custody.read_text().replace(digest, other))
    run = _run(case)
    _assert_stopped_in(run, "custody")
    assert "MISMATCH: custody.jsonld does not name every hash" in run.output
    assert "Conforms" not in run.output


def test_a_custody_graph_that_is_not_valid_case_fails_case_validate(case: Path) -> None:
    custody = case / PKG / "custody.jsonld"
    plain = '"uco-types:hashMethod":"SHA256"'
    text = custody.read_text()
    assert plain in text
    custody.write_text(text.replace(plain, '"uco-types:hashMethod":"SHA-256"', 1))
    run = _run(case)
    _assert_stopped_in(run, "custody")
    assert "Conforms: False" in run.output
