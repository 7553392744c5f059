"""Checkpoints (c2sp.org/tlog-checkpoint): text round trips, strict parsing, signing."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto import KeyStore
from hanoi.crypto.note import (
    InvalidNoteSignature,
    NoteError,
    NoVerifiedSignature,
    Signer,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
)
from hanoi.ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    CheckpointError,
    MalformedCheckpoint,
    UnexpectedOrigin,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from hanoi.ledger.errors import LedgerError
from tests.raising import raises_check

ORIGIN = "hanoi.example/XA/ledger"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 6962: the root of the empty tree
ROOT = hashlib.sha256(b"some root").digest()
ROOT64 = base64.b64encode(ROOT).decode()

# The example at the top of c2sp.org/tlog-checkpoint (no key is published for it).
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_SIGNATURE = (
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8="
)
SPEC_NOTE = f"{SPEC_TEXT}\n— example.com/behind-the-sofa {SPEC_SIGNATURE}\n".encode()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())


def text_of(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


# --- text ----------------------------------------------------------------------------------


def test_spec_example_parses() -> None:
    checkpoint = parse_checkpoint(SPEC_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash.hex() == (
        "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62"
    )
    assert checkpoint.extensions == ()
    assert checkpoint.to_text() == SPEC_TEXT


def test_spec_example_note_has_an_unknown_key(signer: Signer) -> None:
    with pytest.raises(NoVerifiedSignature, match=r"example\.com/behind-the-sofa\+033de0ae"):
        open_checkpoint(SPEC_NOTE, [signer.verifier()])


def test_round_trip_with_extensions() -> None:
    checkpoint = Checkpoint(ORIGIN, 7, ROOT, ("ext one", "— looks like a signature"))
    text = checkpoint.to_text()
    assert text == text_of(ORIGIN, "7", ROOT64, "ext one", "— looks like a signature")
    assert parse_checkpoint(text) == checkpoint


def test_empty_tree() -> None:
    checkpoint = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert checkpoint.to_text().splitlines()[1] == "0"
    assert parse_checkpoint(checkpoint.to_text()) == checkpoint


def test_largest_tree_size() -> None:
    text = text_of(ORIGIN, str(MAX_TREE_SIZE), ROOT64)
    assert parse_checkpoint(text).size == 2**63 - 1


def test_origin_need_not_be_a_key_name() -> None:
    # The spec only recommends URL-like origins; Go's checksum database uses spaces.
    text = text_of("go.sum database tree", "1", ROOT64)
    assert parse_checkpoint(text).origin == "go.sum database tree"
    assert parse_checkpoint(text_of("a+b", "1", ROOT64)).origin == "a+b"


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "\n", text_of(ORIGIN), text_of(ORIGIN, "1"), f"{ORIGIN}\n1\n{ROOT64}"],
)
def test_refuses_missing_lines(text: str) -> None:
    with raises_check(MalformedCheckpoint, "lines"):
        parse_checkpoint(text)


@pytest.mark.parametrize("origin", ["", "a\tb", "a\rb", "a\x00b", "half \ud800"])
def test_refuses_bad_origins(origin: str) -> None:
    with raises_check(MalformedCheckpoint, "origin"):
        parse_checkpoint(text_of(origin, "1", ROOT64))


@pytest.mark.parametrize(
    "size",
    [
        "",
        "01",
        "00",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "1e3",
        "0x10",
        "١٢",  # Arabic-Indic digits: int() would take them
        "１",  # fullwidth digit one
        str(MAX_TREE_SIZE + 1),
        "9" * 40,
    ],
)
def test_refuses_bad_tree_sizes(size: str) -> None:
    with raises_check(MalformedCheckpoint, "size"):
        parse_checkpoint(text_of(ORIGIN, size, ROOT64))


@pytest.mark.parametrize(
    "root",
    [
        "",
        "not base64!",
        base64.b64encode(ROOT[:31]).decode(),
        base64.b64encode(ROOT + b"\x00").decode(),
        ROOT64.rstrip("="),  # unpadded
        base64.urlsafe_b64encode(b"\xfb" * 32).decode(),  # base64url alphabet
        ROOT64[:-2] + "Z=",  # stray bits in the last character
        " " + ROOT64,
        ROOT.hex(),  # hex, not base64
    ],
)
def test_refuses_bad_root_hashes(root: str) -> None:
    with raises_check(MalformedCheckpoint, "root"):
        parse_checkpoint(text_of(ORIGIN, "1", root))


@pytest.mark.parametrize(
    "text",
    [
        text_of(ORIGIN, "1", ROOT64, ""),
        text_of(ORIGIN, "1", ROOT64, "ext", ""),
        text_of(ORIGIN, "1", ROOT64, "", "ext"),
        text_of(ORIGIN, "1", ROOT64, "tab\there"),
    ],
)
def test_refuses_bad_extension_lines(text: str) -> None:
    with raises_check(MalformedCheckpoint, "extension"):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"origin": ""}, "origin"),
        ({"origin": "two\nlines"}, "origin"),
        ({"size": -1}, "size"),
        ({"size": True}, "size"),
        ({"size": MAX_TREE_SIZE + 1}, "size"),
        ({"root_hash": ROOT[:31]}, "root"),
        ({"root_hash": ROOT64}, "root"),
        ({"extensions": ("",)}, "extension"),
        ({"extensions": ("a\nb",)}, "extension"),
    ],
)
def test_a_checkpoint_cannot_be_built_wrong(fields: dict[str, object], error: str) -> None:
    values: dict[str, object] = {"origin": ORIGIN, "size": 1, "root_hash": ROOT, **fields}
    with raises_check(MalformedCheckpoint, error):
        Checkpoint(**values)  # type: ignore[arg-type]


def test_errors_share_one_base() -> None:
    assert issubclass(MalformedCheckpoint, CheckpointError)
    assert issubclass(UnexpectedOrigin, CheckpointError)
    assert issubclass(CheckpointError, LedgerError)
    assert not issubclass(UnexpectedOrigin, MalformedCheckpoint)


# --- signed ----------------------------------------------------------------------------------


def test_sign_and_open_with_the_node_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "node")
    store.init()
    node_signer = Signer.for_key(ORIGIN, store.signing_key().key)
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    note = sign_checkpoint(checkpoint, [node_signer])
    assert note.startswith(checkpoint.to_text().encode() + "\n— ".encode())
    verifier = parse_verifier_key(verifier_key_string(node_signer.verifier()))
    opened = open_checkpoint(note, [verifier], origin=ORIGIN)
    assert opened.checkpoint == checkpoint
    assert opened.note.verified_by(verifier)
    assert opened.note.text == checkpoint.to_text()


def test_witness_signatures_are_kept_untrusted(signer: Signer) -> None:
    witness = Signer.for_key("witness.example/XB", Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [signer, witness])
    opened = open_checkpoint(note, [signer.verifier()])
    assert [s.name for s in opened.note.unverified] == ["witness.example/XB"]


def test_refuses_another_logs_checkpoint(signer: Signer) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [signer])
    with pytest.raises(UnexpectedOrigin):
        open_checkpoint(note, [signer.verifier()], origin="hanoi.example/XB/ledger")


def test_refuses_a_checkpoint_signed_by_the_wrong_key(signer: Signer) -> None:
    stranger = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [stranger])
    with pytest.raises(NoVerifiedSignature):
        open_checkpoint(note, [signer.verifier()], origin=ORIGIN)


def test_refuses_a_changed_tree_size(signer: Signer) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [signer])
    forged = note.replace(f"{ORIGIN}\n3\n".encode(), f"{ORIGIN}\n4\n".encode())
    with pytest.raises(InvalidNoteSignature):
        open_checkpoint(forged, [signer.verifier()])


def test_a_signed_text_that_is_no_checkpoint_is_refused(signer: Signer) -> None:
    note = sign_note(text_of(ORIGIN, "03", ROOT64), [signer])
    with raises_check(MalformedCheckpoint, "size"):
        open_checkpoint(note, [signer.verifier()])
    with raises_check(MalformedCheckpoint, "lines"):
        open_checkpoint(sign_note("hello\n", [signer]), [signer.verifier()])


def test_note_faults_come_before_the_text(signer: Signer) -> None:
    # Garbage text but no trusted signature: the note is refused without reading the text.
    note = sign_note("not a checkpoint\n", [Signer.for_key("x", Ed25519PrivateKey.generate())])
    with pytest.raises(NoteError):
        open_checkpoint(note, [signer.verifier()])
