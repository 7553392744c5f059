"""Cross-check of signed notes and checkpoints with Go's golang.org/x/mod/sumdb/note.

The Go side is ``tests/ledger/go`` (``notecheck``): it opens a note with a verifier key and
prints the verified text, signs a text with a ``PRIVATE+KEY+...`` signer key, or generates a
key pair. It is built once per test session, offline, against Debian's copy of x/mod
(``golang-go`` and ``golang-golang-x-mod-dev``, installed by ``make test``). Both directions
are checked: notes Hanoi signs open in Go, notes Go signs open in Hanoi, and the two
refuse the same damaged notes. Ed25519 signing is deterministic, so for one key and one
text both sides must also write the very same bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto import KeyStore
from hanoi.crypto.note import (
    InvalidNoteSignature,
    NoteError,
    Signer,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key_string,
    verifier_key_string,
)
from hanoi.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint

GO_SOURCE = Path(__file__).parent / "go"
X_MOD = Path("/usr/share/gocode/src/golang.org/x/mod")
ORIGIN = "hanoi.example/XA/ledger"
ROOT = bytes(range(32))


@dataclass(frozen=True)
class Result:
    ok: bool
    stdout: bytes
    stderr: str


@dataclass(frozen=True)
class NoteCheck:
    """The built Go program and a folder for the files handed to it."""

    binary: Path
    work: Path

    def _file(self, name: str, data: bytes) -> Path:
        path = self.work / name
        path.write_bytes(data)
        return path

    def run(self, *args: str) -> Result:
        done = subprocess.run(
            [str(self.binary), *args], capture_output=True, timeout=60, check=False
        )
        return Result(done.returncode == 0, done.stdout, done.stderr.decode(errors="replace"))

    def open(self, verifier_key: str, note: bytes) -> Result:
        key = self._file("verifier.key", verifier_key.encode() + b"\n")
        return self.run("open", str(key), str(self._file("note", note)))

    def sign(self, signer_key: str, text: str) -> Result:
        key = self._file("signer.key", signer_key.encode() + b"\n")
        return self.run("sign", str(key), str(self._file("text", text.encode())))

    def generate(self, name: str) -> tuple[str, str]:
        result = self.run("generate", name)
        assert result.ok, result.stderr
        signer_key, verifier_key = result.stdout.decode().splitlines()
        return signer_key, verifier_key


@pytest.fixture(scope="session")
def notecheck(tmp_path_factory: pytest.TempPathFactory) -> NoteCheck:
    """Build ``notecheck`` once per session, offline. No Go means a failure, not a skip."""
    go = shutil.which("go")
    if go is None or not (X_MOD / "sumdb" / "note" / "note.go").is_file():
        pytest.fail(
            "the Go cross-check needs the Debian packages golang-go and "
            "golang-golang-x-mod-dev: run `make test` (it installs them through "
            "scripts/system-deps.sh)",
            pytrace=False,
        )
    root = tmp_path_factory.mktemp("notecheck")
    source = root / "src"
    # A copy, so that go (with -mod=mod) never writes into the source tree.
    shutil.copytree(GO_SOURCE, source)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "GOPATH": str(root / "gopath"),
        "GOCACHE": str(root / "gocache"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOENV": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }
    binary = root / "notecheck"
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"building tests/ledger/go failed:\n{built.stdout}{built.stderr}")
    work = root / "work"
    work.mkdir()
    return NoteCheck(binary, work)


@pytest.fixture(scope="module")
def node_signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    """The note signer over a real node's Ed25519 key, named after the log."""
    store = KeyStore(tmp_path_factory.mktemp("node"))
    store.init()
    return Signer.for_key(ORIGIN, store.signing_key().key)


def _flip(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


# --- Hanoi signs, Go opens -----------------------------------------------------------------


def test_a_hanoi_note_opens_in_go(notecheck: NoteCheck, node_signer: Signer) -> None:
    text = "Hanoi signed this.\n\nWith a blank line and ünïcode.\n"
    note = sign_note(text, [node_signer])
    result = notecheck.open(verifier_key_string(node_signer.verifier()), note)
    assert result.ok, result.stderr
    assert result.stdout == text.encode()


def test_a_hanoi_checkpoint_opens_in_go(notecheck: NoteCheck, node_signer: Signer) -> None:
    checkpoint = Checkpoint(ORIGIN, 123456, ROOT, ("an extension",))
    note = sign_checkpoint(checkpoint, [node_signer])
    result = notecheck.open(verifier_key_string(node_signer.verifier()), note)
    assert result.ok, result.stderr
    assert result.stdout == checkpoint.to_text().encode()


def test_go_opens_a_note_with_several_signers(notecheck: NoteCheck, node_signer: Signer) -> None:
    witness = Signer.for_key("witness.example/XB", Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint(ORIGIN, 9, ROOT), [node_signer, witness])
    for signer in (node_signer, witness):
        result = notecheck.open(verifier_key_string(signer.verifier()), note)
        assert result.ok, result.stderr


# --- Go signs, Hanoi opens -----------------------------------------------------------------


def test_a_go_note_opens_in_hanoi(notecheck: NoteCheck, node_signer: Signer) -> None:
    text = "Go signed this.\n"
    result = notecheck.sign(signer_key_string(node_signer), text)
    assert result.ok, result.stderr
    opened = open_note(result.stdout, [node_signer.verifier()])
    assert opened.text == text
    assert [s.key_hash for s in opened.verified] == [node_signer.key_hash]
    # Deterministic Ed25519: the same key and text give the same note on both sides.
    assert result.stdout == sign_note(text, [node_signer])


def test_a_go_checkpoint_opens_in_hanoi(notecheck: NoteCheck, node_signer: Signer) -> None:
    checkpoint = Checkpoint(ORIGIN, 0, bytes(32))
    result = notecheck.sign(signer_key_string(node_signer), checkpoint.to_text())
    assert result.ok, result.stderr
    opened = open_checkpoint(result.stdout, [node_signer.verifier()], origin=ORIGIN)
    assert opened.checkpoint == checkpoint


def test_go_generated_keys_work_in_hanoi(notecheck: NoteCheck) -> None:
    signer_key, verifier_key = notecheck.generate("go.example/log")
    signer = parse_signer_key(signer_key)
    verifier = parse_verifier_key(verifier_key)
    assert signer.verifier() == verifier
    assert signer_key_string(signer) == signer_key
    assert verifier_key_string(verifier) == verifier_key
    note = sign_note("made with a Go key\n", [signer])
    assert notecheck.open(verifier_key, note).ok


# --- damaged notes fail on both sides ------------------------------------------------------


def test_a_tampered_text_fails_in_both(notecheck: NoteCheck, node_signer: Signer) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), [node_signer])
    forged = _flip(note, f"{ORIGIN}\n5\n".encode(), f"{ORIGIN}\n6\n".encode())
    result = notecheck.open(verifier_key_string(node_signer.verifier()), forged)
    assert not result.ok
    assert "invalid signature" in result.stderr
    with pytest.raises(InvalidNoteSignature):
        open_note(forged, [node_signer.verifier()])


def test_a_go_note_tampered_fails_in_both(notecheck: NoteCheck, node_signer: Signer) -> None:
    signed = notecheck.sign(signer_key_string(node_signer), "Go signed this.\n")
    assert signed.ok, signed.stderr
    forged = _flip(signed.stdout, b"Go signed", b"Go signet")
    assert not notecheck.open(verifier_key_string(node_signer.verifier()), forged).ok
    with pytest.raises(InvalidNoteSignature):
        open_note(forged, [node_signer.verifier()])


def test_the_wrong_key_fails_in_both(notecheck: NoteCheck, node_signer: Signer) -> None:
    impostor = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    note = sign_note("who signed this?\n", [impostor])
    result = notecheck.open(verifier_key_string(node_signer.verifier()), note)
    assert not result.ok
    assert "no verifiable signatures" in result.stderr
    with pytest.raises(NoteError):
        open_note(note, [node_signer.verifier()])


@pytest.mark.parametrize(
    ("what", "old", "new"),
    [
        ("no blank line", b"\n\n", b"\n"),
        ("a tab", b"text", b"te\txt"),
        ("a carriage return", b"text\n", b"text\r\n"),
        ("invalid UTF-8", b"text", b"te\xffxt"),
        ("hyphen for em dash", "\n— ".encode(), b"\n- "),
        ("plus in the name", ORIGIN.encode() + b" ", b"a+b "),
        ("no final newline", b"=\n", b"="),  # the signature's padding ends the note
    ],
)
def test_malformed_notes_fail_in_both(
    notecheck: NoteCheck, node_signer: Signer, what: str, old: bytes, new: bytes
) -> None:
    note = sign_note("some text\n", [node_signer])
    broken = _flip(note, old, new)
    assert not notecheck.open(verifier_key_string(node_signer.verifier()), broken).ok, what
    with pytest.raises(NoteError):
        open_note(broken, [node_signer.verifier()])


def test_go_refuses_a_hanoi_key_string_with_a_wrong_hash(
    notecheck: NoteCheck, node_signer: Signer
) -> None:
    key = verifier_key_string(node_signer.verifier())
    name, hash_hex, rest = key.split("+", 2)
    wrong = f"{name}+{int(hash_hex, 16) ^ 1:08x}+{rest}"
    result = notecheck.open(wrong, sign_note("x\n", [node_signer]))
    assert not result.ok
    assert "verifier key" in result.stderr
