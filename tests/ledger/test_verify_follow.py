"""`hanoi ledger verify` against a tree seen before: --since and --state refuse a rollback
and a fork (ledger/follow.py); --cosigner and --quorum refuse a checkpoint without the
witnesses' cosignatures."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto.cosignature import CosignatureSigner
from hanoi.crypto.note import NoteSigner, Signer
from hanoi.ledger import tiles
from hanoi.ledger.checkpoint import Checkpoint, sign_checkpoint
from hanoi.ledger.follow import Held, LogMemory, NotAnExtension, TreeHead, check_extends
from hanoi.ledger.merkle import EMPTY_ROOT, MemoryTree, leaf_hash
from tests.cli.test_cli import Run, expect, expect_usage_error, hanoi

ORIGIN = "hanoi.example/XA/ledger"
SIGNER = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
KEY = SIGNER.verifier().key_string()
WITNESSES = [
    CosignatureSigner.for_key(f"hanoi.example/X{c}/witness", Ed25519PrivateKey.generate())
    for c in "BCD"
]
COSIGNERS = [w.verifier().key_string() for w in WITNESSES]


def entries(size: int, fork_at: int | None = None) -> list[bytes]:
    """The log's entries; from ``fork_at`` on, those of another history."""
    forked = fork_at if fork_at is not None else size
    return [json.dumps({"event": i, "forked": i >= forked}).encode() for i in range(size)]


def write_log(
    folder: Path,
    size: int,
    *,
    fork_at: int | None = None,
    cosigned_by: tuple[CosignatureSigner, ...] = (),
) -> Path:
    """Publish the log at ``size`` in ``folder`` (grown in place if it is there already),
    its checkpoint signed by SIGNER and cosigned by ``cosigned_by``."""
    data = entries(size, fork_at)
    tree = MemoryTree(leaf_hash(e) for e in data)
    signers: list[NoteSigner] = [SIGNER, *cosigned_by]
    note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root()), signers)
    tiles.write_tiles(folder, tree, size, data, note)
    return folder


def root_of(size: int, fork_at: int | None = None) -> str:
    tree = MemoryTree(leaf_hash(e) for e in entries(size, fork_at))
    return base64.b64encode(tree.root()).decode("ascii")


def verify(cwd: Path, log: Path, *extra: str) -> Run:
    return hanoi(cwd, "ledger", "verify", "--log", str(log), "--key", KEY, *extra)


# --- the check itself --------------------------------------------------------------------


def test_check_extends_tells_rollback_fork_and_growth_apart() -> None:
    tree = MemoryTree(leaf_hash(e) for e in entries(700))
    forked = MemoryTree(leaf_hash(e) for e in entries(700, fork_at=300))
    held = TreeHead(500, tree.root(500))
    check_extends(held, 700, tree.root(), tree.consistency_proof(500, 700))
    check_extends(held, 500, tree.root(500), [])
    check_extends(TreeHead(0, EMPTY_ROOT), 700, tree.root(), [])
    with pytest.raises(NotAnExtension) as rollback:
        check_extends(held, 499, tree.root(499), [])
    assert rollback.value.check == "rollback"
    with pytest.raises(NotAnExtension) as same_size:
        check_extends(held, 500, forked.root(500), [])
    assert same_size.value.check == "fork"
    with pytest.raises(NotAnExtension) as larger:
        check_extends(held, 700, forked.root(), forked.consistency_proof(500, 700))
    assert larger.value.check == "fork"
    # A proof of the genuine tree does not lend its consistency to a forked root.
    with pytest.raises(NotAnExtension):
        check_extends(held, 700, forked.root(), tree.consistency_proof(500, 700))


def test_the_memory_never_moves_backwards() -> None:
    tree = MemoryTree(leaf_hash(e) for e in entries(10))
    notes = {n: sign_checkpoint(Checkpoint(ORIGIN, n, tree.root(n)), [SIGNER]) for n in (5, 10)}
    memory = LogMemory().remember(ORIGIN, TreeHead(10, tree.root()), notes[10])
    assert memory.remember(ORIGIN, TreeHead(5, tree.root(5)), notes[5]) is memory
    assert memory.remember(ORIGIN, TreeHead(10, tree.root()), notes[10]) is memory
    again = LogMemory.from_bytes(memory.to_bytes())
    assert again == memory and again.held(ORIGIN) == Held(
        TreeHead(10, tree.root()), notes[10].decode()
    )


# --- --state and --since -----------------------------------------------------------------


def test_a_growing_log_is_followed_and_a_rolled_back_copy_refused(tmp_path: Path) -> None:
    log = tmp_path / "log"
    state = tmp_path / "seen.json"
    write_log(log, 300)
    old = Path(shutil.copytree(log, tmp_path / "old"))  # the log as it was at 300
    first = expect(verify(tmp_path, log, "--state", str(state)), 0)
    assert "remembered in" in first.out
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    remembered = json.loads(state.read_text())["logs"][ORIGIN]
    assert (remembered["size"], remembered["root"]) == (300, root_of(300))
    assert remembered["checkpoint"] == (log / "checkpoint").read_text()

    for size in (301, 512, 1000):  # across the ends of tiles and of bundles
        write_log(log, size)
        grown = expect(verify(tmp_path, log, "--state", str(state)), 0)
        assert "(remembered)" in grown.out
        assert json.loads(state.read_text())["logs"][ORIGIN]["size"] == size
    again = expect(verify(tmp_path, log, "--state", str(state), "--json"), 0)
    assert json.loads(again.out)["remembered_before"] == f"1000:{root_of(1000)}"

    # The old copy is a whole log whose checkpoint the key really signed: it verifies alone,
    # and is refused against what was seen since.
    expect(verify(tmp_path, old), 0)
    before = state.read_bytes()
    refused = expect(verify(tmp_path, old, "--state", str(state)), 1)
    assert "DOES NOT VERIFY — checkpoint: rollback:" in refused.out
    assert "below size 1000 remembered in" in refused.out
    as_json = json.loads(expect(verify(tmp_path, old, "--state", str(state), "--json"), 1).out)
    assert as_json["ok"] is False and as_json["refused"] == "rollback"
    assert state.read_bytes() == before  # a refusal never moves the memory


@pytest.mark.parametrize(
    ("size", "fork_at", "refused"),
    [
        (1000, 0, "fork"),  # another history of the same size
        (1000, 999, "fork"),  # only the last entry differs
        (1300, 700, "fork"),  # grown from a tree that is not the one seen
        (1300, 1000, None),  # a different future from the one seen is still its extension
        (600, 0, "rollback"),
    ],
)
def test_a_forked_log_is_refused(
    tmp_path: Path, size: int, fork_at: int, refused: str | None
) -> None:
    state = tmp_path / "seen.json"
    expect(verify(tmp_path, write_log(tmp_path / "log", 1000), "--state", str(state)), 0)
    before = state.read_bytes()
    other = write_log(tmp_path / "other", size, fork_at=fork_at)  # same key, same origin
    expect(verify(tmp_path, other), 0)
    run = verify(tmp_path, other, "--state", str(state), "--json")
    if refused is None:
        assert json.loads(expect(run, 0).out)["ok"] is True
        return
    result = json.loads(expect(run, 1).out)
    assert result["refused"] == refused
    assert result["problems"][0]["message"].startswith(f"{refused}: ")
    assert state.read_bytes() == before


def test_since_refuses_the_same_way(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log", 1000)
    old = write_log(tmp_path / "old", 400)
    fork = write_log(tmp_path / "fork", 1000, fork_at=10)
    seen = f"1000:{root_of(1000)}"
    ok = expect(verify(tmp_path, log, "--since", seen), 0)
    assert f"extends {seen} (--since)" in ok.out
    expect(verify(tmp_path, log, "--since", f"400:{root_of(400)}"), 0)
    expect(verify(tmp_path, log, "--since", f"0:{base64.b64encode(EMPTY_ROOT).decode()}"), 0)
    rollback = expect(verify(tmp_path, old, "--since", seen), 1)
    assert "rollback: the log's signed checkpoint is at size 400, below size 1000" in rollback.out
    assert "given with --since" in rollback.out
    same_size = expect(verify(tmp_path, fork, "--since", seen), 1)
    assert "checkpoint: fork: the log signed root" in same_size.out
    larger = expect(verify(tmp_path, log, "--since", f"400:{root_of(400, fork_at=10)}"), 1)
    assert "checkpoint: fork: the log's signed tree 1000:" in larger.out
    # Nothing is written without --state.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fork", "log", "old"]


def test_a_log_cannot_escape_its_memory_under_another_origin(tmp_path: Path) -> None:
    state = tmp_path / "seen.json"
    expect(verify(tmp_path, write_log(tmp_path / "log", 100), "--state", str(state)), 0)
    # The same key signs an older tree under another origin: alone it verifies, but with
    # --state the origin must be the key's name unless --origin says otherwise.
    other = tmp_path / "renamed"
    data = entries(50)
    tree = MemoryTree(leaf_hash(e) for e in data)
    note = sign_checkpoint(Checkpoint(ORIGIN + "-2", 50, tree.root()), [SIGNER])
    tiles.write_tiles(other, tree, 50, data, note)
    expect(verify(tmp_path, other), 0)
    refused = expect(verify(tmp_path, other, "--state", str(state)), 1)
    assert f"expected {ORIGIN!r}" in refused.out
    expect(verify(tmp_path, other, "--state", str(state), "--origin", ORIGIN + "-2"), 0)
    assert sorted(json.loads(state.read_text())["logs"]) == [ORIGIN, ORIGIN + "-2"]


def test_since_and_state_are_both_checked(tmp_path: Path) -> None:
    state = tmp_path / "seen.json"
    log = write_log(tmp_path / "log", 500)
    expect(verify(tmp_path, log, "--state", str(state)), 0)
    write_log(log, 800)
    run = expect(verify(tmp_path, log, "--state", str(state), "--since", f"900:{root_of(900)}"), 1)
    assert "rollback" in run.out and "given with --since" in run.out
    assert json.loads(state.read_text())["logs"][ORIGIN]["size"] == 500


def test_malformed_since_is_a_usage_error(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log", 10)
    root = root_of(10)
    for bad, fragment in [
        ("10", "is not SIZE:ROOT"),
        (f"010:{root}", "not decimal"),
        (f"-1:{root}", "not decimal"),
        (f"99999999999999999999999:{root}", "larger than"),
        ("10:not base64", "canonical base64"),
        (f"10:{root.rstrip('=')}", "canonical base64"),
        (f"10:{base64.b64encode(bytes(31)).decode()}", "32-byte"),
        (f"0:{root}", "empty tree"),
    ]:
        expect_usage_error(verify(tmp_path, log, "--since", bad), "error: --since: ", fragment)


# --- a state file that is not one ------------------------------------------------------


def test_a_bad_state_file_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log", 20)
    state = tmp_path / "seen.json"
    good = tmp_path / "good.json"
    expect(verify(tmp_path, log, "--state", str(good)), 0)
    valid = json.loads(good.read_text())
    entry = valid["logs"][ORIGIN]
    cases: list[tuple[bytes, str]] = [
        (b"", "not a JSON state file"),
        (b"{not json", "not a JSON state file"),
        (b"\xff\xfe", "not a JSON state file"),
        (b"[]", "'logs' alone"),
        (b'{"logs": {}, "extra": 1}', "'logs' alone"),
        (b'{"logs": {}, "logs": {}}', "twice"),
        (b'{"logs": []}', "'logs' is not an object"),
    ]
    for change, fragment in [
        ({"size": "20"}, "the size"),
        ({"size": True}, "the size"),
        ({"size": -1}, "the size"),
        ({"root": entry["root"].rstrip("=")}, "the root"),
        ({"root": 7}, "the root"),
        ({"checkpoint": None}, "the checkpoint"),
        ({"size": 19}, "not that of this origin, size and root"),
        ({"checkpoint": entry["checkpoint"].replace("\n20\n", "\n21\n")}, "not that of"),
        ({"extra": 1}, "size, root and checkpoint"),
    ]:
        edited = {"logs": {ORIGIN: {**entry, **change}}}
        cases.append((json.dumps(edited).encode(), fragment))
    for data, fragment in cases:
        state.write_bytes(data)
        expect_usage_error(verify(tmp_path, log, "--state", str(state)), str(state), fragment)
        assert state.read_bytes() == data, fragment  # never written over
    state.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    expect_usage_error(verify(tmp_path, log, "--state", str(state)), "larger than")
    expect_usage_error(verify(tmp_path, log, "--state", str(tmp_path)), "not a file")
    expect_usage_error(
        verify(tmp_path, log, "--state", str(tmp_path / "none" / "seen.json")), "not a file"
    )


# --- witnesses ---------------------------------------------------------------------------


def test_quorum_of_cosignatures(tmp_path: Path) -> None:
    b, c, _ = WITNESSES
    both = write_log(tmp_path / "both", 30, cosigned_by=(b, c))
    one = write_log(tmp_path / "one", 30, cosigned_by=(b,))
    cosigners = ["--cosigner", COSIGNERS[0], "--cosigner", COSIGNERS[1]]
    met = expect(verify(tmp_path, both, *cosigners), 0)
    assert f"cosigned by {b.name}, {c.name}" in met.out
    as_json = json.loads(expect(verify(tmp_path, both, *cosigners, "--json"), 0).out)
    assert as_json["cosigned_by"] == [b.name, c.name]
    expect(verify(tmp_path, one, *cosigners, "--quorum", "1"), 0)
    short = expect(verify(tmp_path, one, *cosigners), 1)
    assert f"checkpoint: 1 trusted cosignature(s) ({b.name}), the quorum is 2" in short.out
    none = expect(verify(tmp_path, write_log(tmp_path / "bare", 30), *cosigners), 1)
    assert "0 trusted cosignature(s) (none), the quorum is 2" in none.out
    # A witness not asked for does not count.
    other = expect(verify(tmp_path, one, "--cosigner", COSIGNERS[2]), 1)
    assert "the quorum is 1" in other.out


def test_a_quorum_not_met_is_not_remembered(tmp_path: Path) -> None:
    state = tmp_path / "seen.json"
    log = write_log(tmp_path / "log", 30, cosigned_by=(WITNESSES[0],))
    run = verify(tmp_path, log, "--cosigner", COSIGNERS[1], "--state", str(state))
    assert "the quorum is 1" in expect(run, 1).out
    assert not state.exists()


def test_a_bad_cosignature_or_a_checkpoint_only_cosigned_is_refused(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log", 30, cosigned_by=(WITNESSES[0],))
    note = (log / "checkpoint").read_bytes()
    text, _, signatures = note.partition(b"\n\n")
    lines = signatures.splitlines(keepends=True)
    cosignature = lines[1]
    head, encoded = cosignature.rstrip(b"\n").rsplit(b" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    tampered = head + b" " + base64.b64encode(bytes(raw)) + b"\n"
    (log / "checkpoint").write_bytes(text + b"\n\n" + lines[0] + tampered)
    bad = expect(verify(tmp_path, log, "--cosigner", COSIGNERS[0]), 1)
    assert f"checkpoint: the signature of key {WITNESSES[0].name}+" in bad.out
    assert "does not verify" in bad.out
    (log / "checkpoint").write_bytes(text + b"\n\n" + cosignature)  # the log's line removed
    unsigned = expect(verify(tmp_path, log, "--cosigner", COSIGNERS[0]), 1)
    assert "not signed by the log key" in unsigned.out


def test_malformed_cosigners_are_usage_errors(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log", 5)
    expect_usage_error(verify(tmp_path, log, "--cosigner", "not a key"))
    expect_usage_error(verify(tmp_path, log, "--cosigner", KEY))  # a log key, not a witness's
    expect_usage_error(
        verify(tmp_path, log, "--cosigner", COSIGNERS[0], "--quorum", "2"), "--quorum 2"
    )
    expect_usage_error(
        verify(tmp_path, log, "--cosigner", COSIGNERS[0], "--cosigner", COSIGNERS[0]), "twice"
    )


def test_verify_proof_takes_a_witness_twice_as_a_usage_error(tmp_path: Path) -> None:
    proof = tmp_path / "entry.tlog-proof"
    proof.write_bytes(b"not read")
    run = hanoi(
        tmp_path,
        "ledger",
        "verify-proof",
        str(proof),
        "--key",
        KEY,
        "--cosigner",
        COSIGNERS[0],
        "--cosigner",
        COSIGNERS[0],
    )
    expect_usage_error(run, "twice")
