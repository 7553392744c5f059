"""Witnessing between nodes: the witness in the database (compare-and-set, never backwards,
split views kept and audited) and, across the running federation, XA's checkpoints
cosigned by XB and XC over HTTP into a note that verifies with a quorum of two."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from hanoi.audit.service import list_events
from hanoi.crypto.cosignature import CosignatureVerifier, cosignatures_of
from hanoi.crypto.note import NoteVerifier, open_note
from hanoi.db import Database
from hanoi.exchange.peers import Peers
from hanoi.ledger import merkle, store, witnessing
from hanoi.ledger.checkpoint import Checkpoint, sign_checkpoint
from hanoi.ledger.errors import NoSuchCheckpoint
from hanoi.ledger.keys import (
    NodeLogKeys,
    log_origin,
    state_of_origin,
    state_of_witness,
    witness_name,
    witness_verifiers_for_entry,
)
from hanoi.ledger.records import KINDS, new_record
from hanoi.ledger.service import checkpoint_with_cosignatures
from hanoi.ledger.witness import (
    SIZE_CONTENT_TYPE,
    InconsistentCheckpoint,
    MalformedRequest,
    OldSizeMismatch,
    SplitView,
    UnknownLog,
    UntrustedCheckpoint,
    make_add_checkpoint_request,
)
from hanoi.ledger.witness_models import WitnessLog, WitnessPeer
from hanoi.ledger.witnessing import (
    ADD_CHECKPOINT_PATH,
    SPLIT_VIEW_ACTION,
    gather_cosignatures,
    split_views,
    witness_add_checkpoint,
    witnessed,
)
from tests.federation import Running
from tests.raising import http_status, raises_check
from tests.web.test_request_pages import signed_in

NOW = 1_750_000_000


class MemoryLog:
    """XA's log kept in memory, signed with XA's key under the Hanoi origin."""

    def __init__(self, keys: NodeLogKeys, prefix: bytes = b"event") -> None:
        self.keys = keys
        self.prefix = prefix
        self.tree = merkle.MemoryTree()

    def grow(self, size: int) -> None:
        while self.tree.size < size:
            self.tree.append(merkle.leaf_hash(self.prefix + b" %d" % self.tree.size))

    def note(self, size: int) -> bytes:
        checkpoint = Checkpoint(self.keys.origin, size, self.tree.root(size))
        return sign_checkpoint(checkpoint, [self.keys.log_signer()])

    def request(self, old: int, size: int) -> bytes:
        proof = self.tree.consistency_proof(old, size) if old else []
        return make_add_checkpoint_request(old, proof, self.note(size))


@pytest.fixture
def xa() -> NodeLogKeys:
    return NodeLogKeys("XA", Ed25519PrivateKey.generate())


@pytest.fixture
def xb() -> NodeLogKeys:
    return NodeLogKeys("XB", Ed25519PrivateKey.generate())


@pytest.fixture
def log(xa: NodeLogKeys) -> MemoryLog:
    xa_log = MemoryLog(xa)
    xa_log.grow(20)
    return xa_log


def _witness(db: Database, xb: NodeLogKeys, xa: NodeLogKeys, body: bytes, **kw: Any) -> bytes:
    logs: dict[str, Sequence[NoteVerifier]] = {xa.origin: [xa.log_verifier()]}
    return witness_add_checkpoint(db, xb.witness_signer(), logs, body, now=NOW, **kw)


# --- names and keys ------------------------------------------------------------------------


def test_names_are_derived_from_the_state() -> None:
    assert log_origin("XA") == "hanoi/XA/ledger"
    assert witness_name("XB") == "hanoi/XB/witness"
    assert state_of_origin("hanoi/XA/ledger") == "XA"
    assert state_of_origin("hanoi/XA/witness") is None
    assert state_of_witness("hanoi/XC/witness") == "XC"
    with pytest.raises(ValueError):
        log_origin("xa")


def test_log_and_witness_keys_share_the_node_key_but_not_the_key_hash(xa: NodeLogKeys) -> None:
    log_key, witness_key = xa.log_verifier(), xa.witness_verifier()
    assert log_key.key.public_bytes_raw() == witness_key.key.public_bytes_raw()
    assert log_key.key_string().startswith("hanoi/XA/ledger+")
    assert witness_key.key_string().startswith("hanoi/XA/witness+")
    assert log_key.key_hash != witness_key.key_hash


# --- the witness in the database -----------------------------------------------------------


def test_witness_follows_a_growing_log(
    db: Database, xa: NodeLogKeys, xb: NodeLogKeys, log: MemoryLog
) -> None:
    line = _witness(db, xb, xa, log.request(0, 3))
    note = open_note(log.note(3) + line, [xa.log_verifier(), xb.witness_verifier()])
    assert [c.timestamp for c in cosignatures_of(note, [xb.witness_verifier()])] == [NOW]
    _witness(db, xb, xa, log.request(3, 7))
    _witness(db, xb, xa, log.request(7, 7))  # the same checkpoint again is cosigned again
    held = witnessed(db, xa.origin)
    assert held is not None and held[0] == 7 and held[1] == log.note(7)


def test_refusals_carry_their_status(
    db: Database, xa: NodeLogKeys, xb: NodeLogKeys, log: MemoryLog
) -> None:
    _witness(db, xb, xa, log.request(0, 7))

    with pytest.raises(OldSizeMismatch) as stale:
        _witness(db, xb, xa, log.request(3, 9))
    assert http_status(stale.value) == 409 and stale.value.response_body() == b"7\n"

    forged = MemoryLog(xa, prefix=b"other")
    forged.grow(9)
    bad_proof = make_add_checkpoint_request(7, log.tree.consistency_proof(7, 9), forged.note(9))
    with pytest.raises(InconsistentCheckpoint) as inconsistent:
        _witness(db, xb, xa, bad_proof)
    assert http_status(inconsistent.value) == 422

    stranger = MemoryLog(NodeLogKeys("XQ", Ed25519PrivateKey.generate()))
    stranger.grow(2)
    with pytest.raises(UnknownLog) as unknown:
        _witness(db, xb, xa, stranger.request(0, 2))
    assert http_status(unknown.value) == 404

    impostor = MemoryLog(NodeLogKeys("XA", Ed25519PrivateKey.generate()))
    impostor.grow(9)
    with pytest.raises(UntrustedCheckpoint):
        _witness(db, xb, xa, impostor.request(0, 9))

    with raises_check(MalformedRequest, "old-size"):  # never backwards
        _witness(db, xb, xa, make_add_checkpoint_request(7, [], log.note(5)))

    held = witnessed(db, xa.origin)
    assert held is not None and held[0] == 7


def test_split_view_is_kept_audited_and_refused(
    db: Database, xa: NodeLogKeys, xb: NodeLogKeys, log: MemoryLog
) -> None:
    _witness(db, xb, xa, log.request(0, 7))
    other = MemoryLog(xa, prefix=b"rewritten")
    other.grow(7)
    for _ in range(2):  # told twice: one piece of evidence
        with pytest.raises(SplitView) as split:
            _witness(db, xb, xa, other.request(7, 7), remote_addr="127.0.0.9")
        assert http_status(split.value) == 409 and split.value.response_body() == b"7\n"

    views = split_views(db, xa.origin)
    assert len(views) == 1
    assert views[0].held_note == log.note(7) and views[0].presented_note == other.note(7)
    with db.session() as session:
        events = list_events(session, action=SPLIT_VIEW_ACTION)
        assert len(events) == 1 and events[0].target_id == xa.origin
    held = witnessed(db, xa.origin)
    assert held is not None and held[1] == log.note(7)


def test_the_database_refuses_moving_backwards(
    db: Database, xa: NodeLogKeys, xb: NodeLogKeys, log: MemoryLog
) -> None:
    _witness(db, xb, xa, log.request(0, 7))
    with pytest.raises(DBAPIError), db.session() as session:
        session.execute(update(WitnessLog).values(size=3))
    with pytest.raises(DBAPIError), db.session() as session:
        session.execute(text("DELETE FROM witness_logs"))
    held = witnessed(db, xa.origin)
    assert held is not None and held[0] == 7


def test_a_request_that_read_a_stale_state_cannot_advance(
    db: Database,
    xa: NodeLogKeys,
    xb: NodeLogKeys,
    log: MemoryLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _witness(db, xb, xa, log.request(0, 7))
    with db.session() as session:
        stale = witnessing._held(session, xa.origin)
    _witness(db, xb, xa, log.request(7, 9))
    # The second request read the state before the first one stored its checkpoint.
    monkeypatch.setattr(witnessing, "_held", lambda session, origin: stale)
    with pytest.raises(OldSizeMismatch) as lost:
        _witness(db, xb, xa, log.request(7, 12))
    assert lost.value.latest_size == 9
    monkeypatch.undo()
    held = witnessed(db, xa.origin)
    assert held is not None and held[0] == 9


def test_concurrent_requests_from_one_size_advance_once(
    db: Database, xa: NodeLogKeys, xb: NodeLogKeys, log: MemoryLog
) -> None:
    _witness(db, xb, xa, log.request(0, 7))
    bodies = [log.request(7, size) for size in range(8, 16)]
    start = threading.Barrier(len(bodies))

    def attempt(body: bytes) -> str:
        start.wait()
        try:
            _witness(db, xb, xa, body)
        except OldSizeMismatch:
            return "conflict"
        return "cosigned"

    with ThreadPoolExecutor(len(bodies)) as pool:
        outcomes = list(pool.map(attempt, bodies))
    assert outcomes.count("cosigned") == 1
    assert outcomes.count("conflict") == len(bodies) - 1
    held = witnessed(db, xa.origin)
    assert held is not None and 8 <= held[0] <= 15


# --- across the running federation ---------------------------------------------------------


def _grow_and_sign(db: Database, keys: NodeLogKeys, count: int) -> store.StoredCheckpoint:
    with db.session() as session:
        store.append_many(
            session,
            [new_record(KINDS[n % len(KINDS)], keys.state, {"n": n}) for n in range(count)],
        )
    store.integrate_all(db)
    return store.sign_checkpoint(db, keys.log_signer(), keys.origin)


def _post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + ADD_CHECKPOINT_PATH, content=body, timeout=10)


def test_xa_is_witnessed_by_xb_and_xc_over_http(running: Running) -> None:
    xa_node = running.node("XA")
    xa_db = xa_node.runtime.db
    xa = NodeLogKeys.from_home(xa_node.node.home)
    entries = Peers(xa_node.node.home).entries()
    cosigners: list[CosignatureVerifier] = [
        key for code in ("XB", "XC") for key in witness_verifiers_for_entry(entries[code])
    ]
    assert {c.name for c in cosigners} == {"hanoi/XB/witness", "hanoi/XC/witness"}

    with httpx.Client(timeout=10) as client:
        first = _grow_and_sign(xa_db, xa, 5)
        result = gather_cosignatures(xa_db, xa, Peers(xa_node.node.home), client, quorum=2)
        assert result.reached and result.gathered == 2 and result.size == 5
        assert {w.outcome for w in result.witnesses} == {"cosigned"}

        again = gather_cosignatures(xa_db, xa, Peers(xa_node.node.home), client, quorum=2)
        assert again.reached and {w.outcome for w in again.witnesses} == {"already"}

        # XA forgot what XB holds: XB's 409 tells it, and the retry proves 5 -> 9.
        with xa_db.session() as session:
            session.execute(
                update(WitnessPeer)
                .where(WitnessPeer.witness == "hanoi/XB/witness")
                .values(last_size=0)
            )
        second = _grow_and_sign(xa_db, xa, 4)
        result = gather_cosignatures(xa_db, xa, Peers(xa_node.node.home), client, quorum=2)
        assert result.reached and result.size == 9, result

    # XA's ledger page shows the cosigned checkpoint and each witness's latest cosignature,
    # checked with the witness keys of XA's verified directory.
    with signed_in(running, "XA", "auditor") as browser:
        page = browser.get("/ledger").text
    assert page.count("verified cosignature") == 2 and "unverified" not in page
    latest = page[page.index('id="latest-cosignatures"') :]
    assert '<td class="ltr">hanoi/XB/witness</td><td>9</td>' in latest
    assert '<td class="ltr">hanoi/XC/witness</td><td>9</td>' in latest

    merged = checkpoint_with_cosignatures(xa_db, 9)
    opened = open_note(merged, [xa.log_verifier(), *cosigners])
    assert opened.verified_by(xa.log_verifier())
    assert {c.name for c in cosignatures_of(opened, cosigners)} == {
        "hanoi/XB/witness",
        "hanoi/XC/witness",
    }
    assert merged.startswith(second.note)
    assert checkpoint_with_cosignatures(xa_db, 5).startswith(first.note)
    with pytest.raises(NoSuchCheckpoint):
        checkpoint_with_cosignatures(xa_db, 6)

    xb_url = running.node("XB").node.url
    with xa_db.session() as session:
        proof_5_9 = store.consistency_proof(session, 5, 9)

    stale = _post(xb_url, make_add_checkpoint_request(5, proof_5_9, second.note))
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith(SIZE_CONTENT_TYPE)
    assert stale.content == b"9\n"

    with xa_db.session() as session:
        proof_4_9 = store.consistency_proof(session, 4, 9)
    _grow_and_sign(xa_db, xa, 1)
    with xa_db.session() as session:
        tenth = store.latest_checkpoint(session)
        assert tenth is not None
    bad = _post(xb_url, make_add_checkpoint_request(9, proof_4_9[:2], tenth.note))
    assert bad.status_code == 422

    stranger = MemoryLog(NodeLogKeys("XQ", Ed25519PrivateKey.generate()))
    stranger.grow(1)
    assert _post(xb_url, stranger.request(0, 1)).status_code == 404
    assert _post(xb_url, b"old 0\n\n" + b"x" * 300_000).status_code == 413

    # Only the configured witnesses are asked; one missing from the directory is named.
    eleventh = _grow_and_sign(xa_db, xa, 1)
    with httpx.Client(timeout=10) as client:
        chosen = gather_cosignatures(
            xa_db, xa, Peers(xa_node.node.home), client, quorum=1, witnesses=("XQ", "XC", "XA")
        )
    assert chosen.reached and chosen.gathered == 1 and chosen.size == eleventh.size
    assert [(w.state, w.outcome, w.detail) for w in chosen.witnesses] == [
        ("XC", "cosigned", ""),
        ("XQ", "failed", "not in the directory"),
    ]

    rewritten = MemoryLog(xa, prefix=b"rewritten")
    rewritten.grow(9)
    split = _post(xb_url, rewritten.request(9, 9))
    assert split.status_code == 409 and split.content == b"9\n"
    xb_db = running.node("XB").runtime.db
    views = split_views(xb_db, xa.origin)
    assert len(views) == 1 and views[0].presented_note == rewritten.note(9)
    with xb_db.session() as session:
        assert len(list_events(session, action=SPLIT_VIEW_ACTION)) == 1
    held = witnessed(xb_db, xa.origin)
    assert held is not None and held[0] == 9
    # XB's ledger page raises the alert for its people.
    with signed_in(running, "XB", "auditor") as browser:
        page = browser.get("/ledger").text
    assert f"Split view: {xa.origin} signed two different checkpoints of size 9" in page
