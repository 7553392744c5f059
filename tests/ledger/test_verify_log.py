"""verify_log and `hanoi ledger verify` over logs written by write_tiles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto.note import MalformedKey, Signer
from hanoi.ledger import tiles
from hanoi.ledger.checkpoint import Checkpoint, sign_checkpoint
from hanoi.ledger.merkle import MemoryTree, leaf_hash
from hanoi.ledger.verify import LogReport, verify_log
from tests.cli.test_cli import expect, hanoi

ORIGIN = "hanoi.example/XA/ledger"
SIGNER = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
KEY = SIGNER.verifier().key_string()
SIZES = [0, 1, 255, 256, 257, 1000, 70001]


def build_log(folder: Path, size: int, signer: Signer = SIGNER) -> Path:
    entries = [f'{{"event": {i}}}'.encode() for i in range(size)]
    tree = MemoryTree(leaf_hash(e) for e in entries)
    note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root()), [signer])
    tiles.write_tiles(folder, tree, size, entries, note)
    return folder


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("logs")
    return {size: build_log(base / str(size), size) for size in SIZES}


def check(folder: Path, key: str = KEY, origin: str | None = None) -> LogReport:
    return verify_log(tiles.folder_fetcher(folder), key, origin=origin)


@pytest.fixture
def log(logs: dict[int, Path], tmp_path: Path) -> Path:
    """A private copy of the 1000-entry log, free to damage."""
    return Path(shutil.copytree(logs[1000], tmp_path / "log"))


@pytest.mark.parametrize("size", SIZES)
def test_good_logs_verify(logs: dict[int, Path], size: int) -> None:
    report = check(logs[size], origin=ORIGIN)
    assert report.ok, report.problems
    assert report.size == size and report.origin == ORIGIN
    assert report.bundles_checked == len(list(tiles.bundles_for_size(size)))
    assert report.tiles_checked == len(list(tiles.tiles_for_size(size)))


ALL_FILES_1000 = [
    "tile/0/000",
    "tile/0/002",
    "tile/0/003.p/232",
    "tile/1/000.p/3",
    "tile/entries/000",
    "tile/entries/003.p/232",
]


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def _first(report: LogReport) -> str:
    assert not report.ok
    return str(report.problems[0])


@pytest.mark.parametrize("name", ALL_FILES_1000)
@pytest.mark.parametrize("offset", [0, 37, -1])
def test_one_flipped_byte_is_named(log: Path, name: str, offset: int) -> None:
    _flip(log / name, offset)
    report = check(log)
    assert [p.path for p in report.problems] == [name], report.problems


def test_every_tile_of_a_big_log_is_checked(logs: dict[int, Path], tmp_path: Path) -> None:
    log = Path(shutil.copytree(logs[70001], tmp_path / "big"))
    for name in ["tile/0/273.p/113", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]:
        original = (log / name).read_bytes()
        _flip(log / name, 100)
        assert [p.path for p in check(log).problems] == [name]
        (log / name).write_bytes(original)
    _flip(log / "tile/entries/150", 3)
    assert _first(check(log)).startswith("tile/entries/150: altered")


@pytest.mark.parametrize("name", ALL_FILES_1000)
def test_truncated_extended_and_deleted_files_are_named(log: Path, name: str) -> None:
    path = log / name
    original = path.read_bytes()
    path.write_bytes(original[:-1])
    assert _first(check(log)).startswith(f"{name}: ")
    path.write_bytes(original + b"\x00")
    assert _first(check(log)).startswith(f"{name}: ")
    path.unlink()
    assert _first(check(log)) == f"{name}: missing"


def test_checkpoint_faults(log: Path) -> None:
    checkpoint = log / "checkpoint"
    original = checkpoint.read_bytes()
    checkpoint.write_bytes(original.replace(b"\n1000\n", b"\n1001\n"))
    assert "does not verify" in _first(check(log))
    checkpoint.write_bytes(original)
    _flip(checkpoint, -10)  # inside the signature
    assert _first(check(log)).startswith("checkpoint: ")
    checkpoint.unlink()
    assert _first(check(log)) == "checkpoint: missing"


def test_another_key_or_origin_is_refused(log: Path, tmp_path: Path) -> None:
    other = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    assert _first(check(log, other.verifier().key_string())).startswith("checkpoint: ")
    impostor = build_log(tmp_path / "impostor", 1000, other)
    assert _first(check(impostor)).startswith("checkpoint: ")
    assert "expected" in _first(check(log, origin="other.example/log"))
    with pytest.raises(MalformedKey):
        check(log, "not a key")


def test_a_signed_root_of_another_tree_is_named(log: Path) -> None:
    wrong = sign_checkpoint(Checkpoint(ORIGIN, 1000, bytes(32)), [SIGNER])
    (log / "checkpoint").write_bytes(wrong)
    assert _first(check(log)).startswith("checkpoint: signed root")


# --- the command ------------------------------------------------------------------------


def test_cli_verifies_and_rejects(log: Path, tmp_path: Path) -> None:
    good = expect(hanoi(tmp_path, "ledger", "verify", "--log", str(log), "--key", KEY), 0)
    assert "verified" in good.out and "1000 entries" in good.out
    as_json = expect(
        hanoi(tmp_path, "ledger", "verify", "--log", str(log), "--key", KEY, "--json"), 0
    )
    assert json.loads(as_json.out)["ok"] is True
    _flip(log / "tile/0/002", 77)
    bad = expect(hanoi(tmp_path, "ledger", "verify", "--log", str(log), "--key", KEY), 1)
    assert "tile/0/002: altered" in bad.out
    bad_json = expect(
        hanoi(tmp_path, "ledger", "verify", "--log", str(log), "--key", KEY, "--json"), 1
    )
    assert json.loads(bad_json.out)["problems"][0]["path"] == "tile/0/002"
    usage = expect(hanoi(tmp_path, "ledger", "verify", "--log", str(log), "--key", "x+y"), 2)
    assert usage.err.startswith("error: ")
    missing = expect(
        hanoi(tmp_path, "ledger", "verify", "--log", str(tmp_path / "none"), "--key", KEY), 2
    )
    assert missing.err.startswith("error: ")
