"""The witness (c2sp.org/tlog-witness): following a growing log, every refusal, split views,
and three nodes witnessing each other into proofs with a quorum of cosignatures."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto.cosignature import (
    CosignatureError,
    CosignatureSigner,
    cosignatures_of,
)
from hanoi.crypto.note import InvalidNoteSignature, Signer, open_note, sign_note
from hanoi.ledger import merkle
from hanoi.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.proof import make_proof, verify_proof_file
from hanoi.ledger.witness import (
    SIZE_CONTENT_TYPE,
    InconsistentCheckpoint,
    MalformedRequest,
    OldSizeMismatch,
    SplitView,
    UnknownLog,
    UntrustedCheckpoint,
    Witness,
    WitnessError,
    add_cosignatures,
    make_add_checkpoint_request,
    parse_add_checkpoint_request,
)
from tests.raising import http_status, raises_check

NOW = 1_750_000_000


class GrowingLog:
    """A log in memory: leaves, a signing key, checkpoints and consistency proofs."""

    def __init__(self, origin: str, prefix: bytes = b"event") -> None:
        self.origin = origin
        self.prefix = prefix
        self.signer = Signer.for_key(origin, Ed25519PrivateKey.generate())
        self.tree = merkle.MemoryTree()
        self.entries: list[bytes] = []

    def grow(self, size: int) -> None:
        while self.tree.size < size:
            entry = self.prefix + b" %d" % self.tree.size
            self.entries.append(entry)
            self.tree.append(merkle.leaf_hash(entry))

    def note(self, size: int | None = None) -> bytes:
        size = self.tree.size if size is None else size
        return sign_checkpoint(Checkpoint(self.origin, size, self.tree.root(size)), [self.signer])

    def request(self, old: int, size: int | None = None) -> bytes:
        size = self.tree.size if size is None else size
        proof = self.tree.consistency_proof(old, size) if old else []
        return make_add_checkpoint_request(old, proof, self.note(size))


ORIGIN = "hanoi.example/XA/ledger"


@pytest.fixture
def log() -> GrowingLog:
    return GrowingLog(ORIGIN)


@pytest.fixture
def witness_key() -> CosignatureSigner:
    return CosignatureSigner.for_key("hanoi.example/XB/witness", Ed25519PrivateKey.generate())


@pytest.fixture
def witness(log: GrowingLog, witness_key: CosignatureSigner) -> Witness:
    return Witness(witness_key, {ORIGIN: log.signer.verifier()})


def accept(witness: Witness, log: GrowingLog, old: int, now: int = NOW) -> bytes:
    """Send ``log``'s current checkpoint from ``old``; check and return the response."""
    response = witness.add_checkpoint(log.request(old), now)
    note = add_cosignatures(log.note(), response, [witness.verifier])
    opened = open_note(note, [log.signer.verifier(), witness.verifier])
    [cosignature] = cosignatures_of(opened, [witness.verifier])
    assert cosignature.timestamp == now
    assert witness.latest(ORIGIN) == (log.tree.size, log.tree.root())
    return response


# --- following a log -----------------------------------------------------------------------------


def test_follows_a_growing_log(witness: Witness, log: GrowingLog) -> None:
    old = 0
    for step, size in enumerate([1, 2, 3, 7, 8, 9, 16, 17, 40, 40, 64, 100]):
        log.grow(size)
        response = accept(witness, log, old, NOW + step)
        assert response.startswith("— hanoi.example/XB/witness ".encode())
        assert response.count(b"\n") == 1
        old = size
    assert witness.latest_note(ORIGIN) == log.note()


def test_response_is_a_cosignature_line(witness: Witness, log: GrowingLog) -> None:
    log.grow(5)
    response = witness.add_checkpoint(log.request(0), NOW)
    text = log.note().split(b"\n\n")[0] + b"\n"
    raw = base64.b64decode(response.decode().rstrip("\n").split(" ")[2])
    assert int.from_bytes(raw[:4], "big") == witness.verifier.key_hash
    assert int.from_bytes(raw[4:12], "big") == NOW
    message = b"cosignature/v1\ntime %d\n" % NOW + text
    witness.verifier.key.verify(raw[12:], message)


def test_state_survives_json(
    witness: Witness, log: GrowingLog, witness_key: CosignatureSigner
) -> None:
    log.grow(10)
    accept(witness, log, 0)
    saved = json.loads(json.dumps(witness.state))
    again = Witness.from_state(witness_key, {ORIGIN: log.signer.verifier()}, saved)
    assert again.latest(ORIGIN) == (10, log.tree.root())
    log.grow(25)
    accept(again, log, 10)
    with pytest.raises(OldSizeMismatch):  # a client starting over learns the held size
        again.add_checkpoint(log.request(0), NOW)


def test_state_is_a_copy(witness: Witness, log: GrowingLog) -> None:
    log.grow(3)
    accept(witness, log, 0)
    witness.state["logs"].clear()
    assert witness.latest(ORIGIN) is not None


def test_corrupt_state_is_refused(log: GrowingLog, witness_key: CosignatureSigner) -> None:
    logs = {ORIGIN: log.signer.verifier()}
    states: list[dict[str, Any]] = [
        {"logs": []},
        {"logs": {ORIGIN: {"size": -1, "root": base64.b64encode(bytes(32)).decode(), "note": ""}}},
        {"logs": {ORIGIN: {"size": 1, "root": "nope", "note": ""}}},
        {"logs": {ORIGIN: {"size": 1, "root": base64.b64encode(bytes(32)).decode()}}},
        {"split_views": {}},
    ]
    for state in states:
        with pytest.raises(ValueError):
            Witness(witness_key, logs, state)


def test_empty_tree_then_growth(witness: Witness, log: GrowingLog) -> None:
    accept(witness, log, 0)  # size 0
    assert witness.latest(ORIGIN) == (0, merkle.EMPTY_ROOT)
    log.grow(4)
    accept(witness, log, 0)


def test_same_checkpoint_again_is_cosigned_again(witness: Witness, log: GrowingLog) -> None:
    log.grow(6)
    accept(witness, log, 0)
    accept(witness, log, 6, NOW + 60)
    assert witness.split_views == []


def test_key_rotation_with_several_log_keys(
    log: GrowingLog, witness_key: CosignatureSigner
) -> None:
    old_key = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    witness = Witness(witness_key, {ORIGIN: [old_key.verifier(), log.signer.verifier()]})
    log.grow(2)
    accept(witness, log, 0)


# --- refusals ------------------------------------------------------------------------------------


def test_never_moves_backwards(witness: Witness, log: GrowingLog) -> None:
    log.grow(8)
    accept(witness, log, 0)
    before = witness.state
    # A smaller checkpoint, claiming to extend the held one.
    with raises_check(MalformedRequest, "old-size") as beyond:
        witness.add_checkpoint(log.request(0, 5).replace(b"old 0\n", b"old 8\n", 1), NOW)
    assert http_status(beyond.value) == 400
    # A smaller checkpoint from its own (stale) old size.
    with pytest.raises(OldSizeMismatch) as stale:
        witness.add_checkpoint(log.request(3, 5), NOW)
    assert http_status(stale.value) == 409
    assert stale.value.latest_size == 8
    assert stale.value.response_body() == b"8\n"
    # A larger one from the wrong old size (the client lost track).
    log.grow(12)
    with pytest.raises(OldSizeMismatch) as lost:
        witness.add_checkpoint(log.request(5), NOW)
    assert lost.value.latest_size == 8
    with pytest.raises(OldSizeMismatch):
        witness.add_checkpoint(log.request(0), NOW)
    assert witness.state == before
    assert SIZE_CONTENT_TYPE == "text/x.tlog.size"


def test_inconsistent_checkpoint_is_refused(witness: Witness, log: GrowingLog) -> None:
    log.grow(8)
    accept(witness, log, 0)
    before = witness.state
    # A fork: same first 5 leaves, then different ones, grown to 12.
    fork = GrowingLog(ORIGIN)
    fork.signer = log.signer
    fork.grow(5)
    fork.prefix = b"rewritten"
    fork.grow(12)
    with pytest.raises(InconsistentCheckpoint) as caught:
        witness.add_checkpoint(fork.request(8), NOW)
    assert http_status(caught.value) == 422
    # The honest proof does not help a forked checkpoint either.
    log.grow(12)
    honest_proof = log.tree.consistency_proof(8, 12)
    with pytest.raises(InconsistentCheckpoint):
        witness.add_checkpoint(make_add_checkpoint_request(8, honest_proof, fork.note()), NOW)
    # Nor a proof with a hash altered, cut or doubled.
    altered = [bytes(32), *honest_proof[1:]]
    for proof in (altered, honest_proof[:-1], [*honest_proof, honest_proof[-1]], []):
        with pytest.raises(InconsistentCheckpoint):
            witness.add_checkpoint(make_add_checkpoint_request(8, proof, log.note()), NOW)
    assert witness.state == before
    accept(witness, log, 8)


def test_first_request_carries_no_proof(witness: Witness, log: GrowingLog) -> None:
    log.grow(4)
    body = log.request(0).replace(b"old 0\n", b"old 0\n" + base64.b64encode(bytes(32)) + b"\n")
    with pytest.raises(InconsistentCheckpoint):
        witness.add_checkpoint(body, NOW)


def test_empty_tree_with_a_root_is_refused(witness: Witness, log: GrowingLog) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), [log.signer])
    with pytest.raises(InconsistentCheckpoint):
        witness.add_checkpoint(make_add_checkpoint_request(0, [], note), NOW)


def test_unknown_log(witness: Witness) -> None:
    other = GrowingLog("hanoi.example/XZ/ledger")
    other.grow(2)
    with pytest.raises(UnknownLog) as caught:
        witness.add_checkpoint(other.request(0), NOW)
    assert http_status(caught.value) == 404


def test_wrong_key_or_bad_signature(witness: Witness, log: GrowingLog) -> None:
    log.grow(3)
    impostor = GrowingLog(ORIGIN)  # same origin, another key
    impostor.grow(3)
    with pytest.raises(UntrustedCheckpoint) as caught:
        witness.add_checkpoint(impostor.request(0), NOW)
    assert http_status(caught.value) == 403
    body = bytearray(log.request(0))
    # Another base64 letter inside the log's signature (still well-formed base64).
    body[-10] = ord("A") if body[-10] != ord("A") else ord("B")
    with pytest.raises(UntrustedCheckpoint):
        witness.add_checkpoint(bytes(body), NOW)
    assert witness.latest(ORIGIN) is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0",
        b"old 0\n",
        b"old 01\n\n",
        b"old -1\n\n",
        b"old\n\n",
        b"Old 0\n\n",
        b"old 0 \n\n",
        b"old 99999999999999999999\n\n",
        b"old 2\nnot base64\n\n",
        b"old 2\n" + base64.b64encode(bytes(31)) + b"\n\n",
        b"old 2\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\n",
    ],
)
def test_malformed_requests(witness: Witness, log: GrowingLog, body: bytes) -> None:
    log.grow(3)
    note = log.note()
    full = body + note if body.endswith(b"\n\n") else body
    with pytest.raises(MalformedRequest) as caught:
        witness.add_checkpoint(full, NOW)
    assert http_status(caught.value) == 400


def test_request_without_checkpoint(witness: Witness) -> None:
    with pytest.raises(MalformedRequest, match="no checkpoint"):
        witness.add_checkpoint(b"old 0\n\n", NOW)


def test_garbage_checkpoints(witness: Witness, log: GrowingLog) -> None:
    not_a_checkpoint = sign_note(f"{ORIGIN}\nmany\nroot\n", [log.signer])
    for note in (b"\xff\xfe\n\n", not_a_checkpoint, b"no origin line", log.note()[:-5]):
        with pytest.raises(WitnessError):
            witness.add_checkpoint(b"old 0\n\n" + note, NOW)


def test_bad_time(witness: Witness, log: GrowingLog) -> None:
    with raises_check(CosignatureError, "timestamp"):
        witness.add_checkpoint(log.request(0), -1)


def test_request_round_trip_and_client_refusals(log: GrowingLog) -> None:
    log.grow(20)
    proof = log.tree.consistency_proof(7, 20)
    body = make_add_checkpoint_request(7, proof, log.note())
    parsed = parse_add_checkpoint_request(body)
    assert (parsed.old_size, list(parsed.proof), parsed.checkpoint_note) == (7, proof, log.note())
    with pytest.raises(ValueError):
        make_add_checkpoint_request(0, proof, log.note())
    with pytest.raises(ValueError):
        make_add_checkpoint_request(7, [bytes(32)] * 64, log.note())
    with pytest.raises(ValueError):
        make_add_checkpoint_request(7, [bytes(31)], log.note())
    with pytest.raises(ValueError):
        make_add_checkpoint_request(-1, [], log.note())


# --- split views ---------------------------------------------------------------------------------


def test_split_view_is_detected_and_kept(witness: Witness, log: GrowingLog) -> None:
    log.grow(8)
    accept(witness, log, 0)
    held = log.note()
    fork = GrowingLog(ORIGIN, prefix=b"other")
    fork.signer = log.signer  # the same log key signs a different tree of the same size
    fork.grow(8)
    presented = fork.note()
    with pytest.raises(SplitView) as caught:
        witness.add_checkpoint(fork.request(8).replace(b"old 0\n", b"old 8\n"), NOW + 5)
    error = caught.value
    assert http_status(error) == 409
    assert (error.origin, error.size) == (ORIGIN, 8)
    assert (error.held, error.presented) == (held, presented)
    # Both notes verify under the log's key: evidence a third party can check.
    for note in (error.held, error.presented):
        assert open_checkpoint(note, [log.signer.verifier()]).checkpoint.size == 8
    [kept] = witness.split_views
    assert kept == {
        "origin": ORIGIN,
        "size": 8,
        "held": held.decode(),
        "presented": presented.decode(),
        "detected_at": NOW + 5,
    }
    # The held checkpoint stays; the same evidence is not stored twice, even from a
    # request with another old size.
    assert witness.latest(ORIGIN) == (8, log.tree.root())
    with pytest.raises(SplitView):
        witness.add_checkpoint(fork.request(0), NOW + 6)
    assert len(witness.split_views) == 1
    assert json.loads(json.dumps(witness.state))["split_views"] == [kept]
    # The honest log carries on.
    log.grow(9)
    accept(witness, log, 8)


# --- three nodes ---------------------------------------------------------------------------------


def test_three_nodes_witness_each_other_into_proofs() -> None:
    states = ("XA", "XB", "XC")
    logs = {s: GrowingLog(f"hanoi.example/{s}/ledger", prefix=s.encode()) for s in states}
    witness_keys = {
        s: CosignatureSigner.for_key(f"hanoi.example/{s}/witness", Ed25519PrivateKey.generate())
        for s in states
    }
    witnesses = {
        s: Witness(
            witness_keys[s],
            {logs[o].origin: logs[o].signer.verifier() for o in states if o != s},
        )
        for s in states
    }
    last_sizes = {(s, o): 0 for s in states for o in states}
    for round_number, size in enumerate((3, 10, 11, 32)):
        for s in states:
            log = logs[s]
            log.grow(size)
            note = log.note()
            others = [o for o in states if o != s]
            for o in others:
                old = last_sizes[(o, s)]
                response = witnesses[o].add_checkpoint(log.request(old), NOW + round_number)
                note = add_cosignatures(note, response, [witnesses[o].verifier])
                last_sizes[(o, s)] = size
            # Every event of the log gets an offline proof cosigned by the two others.
            cosigners = [witnesses[o].verifier for o in others]
            for index in (0, size // 2, size - 1):
                data = make_proof(
                    index,
                    merkle.leaf_hash(log.entries[index]),
                    log.tree.inclusion_proof(index),
                    note,
                    extra=log.entries[index],
                )
                result = verify_proof_file(data, log.signer.verifier(), cosigners, quorum=2)
                assert {c.name for c in result.cosignatures} == {
                    f"hanoi.example/{o}/witness" for o in others
                }


def test_add_cosignatures_drops_unknown_and_refuses_bad(
    witness: Witness, log: GrowingLog, witness_key: CosignatureSigner
) -> None:
    log.grow(5)
    response = witness.add_checkpoint(log.request(0), NOW)
    stranger = CosignatureSigner.for_key("stranger.example", Ed25519PrivateKey.generate())
    text = log.note().split(b"\n\n")[0].decode() + "\n"
    extra_line = stranger.signature_line(text, NOW).line().encode()
    note = add_cosignatures(log.note(), response + extra_line, [witness.verifier])
    assert b"stranger.example" not in note
    assert add_cosignatures(note, response, [witness.verifier]) == note  # no duplicates
    bad = witness_key.signature_line("another text\n", NOW).line().encode()
    with pytest.raises(InvalidNoteSignature):
        add_cosignatures(log.note(), bad, [witness.verifier])
    with pytest.raises(LedgerError):
        add_cosignatures(log.note(), b"not a signature line", [witness.verifier])
