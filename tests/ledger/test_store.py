"""The ledger in the database, on SQLite and PostgreSQL: same tree as MemoryTree, proofs
that verify, safe concurrent integration, append-only tables, fsck, signed checkpoints."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from hanoi.crypto.note import Signer
from hanoi.db import Database, upgrade
from hanoi.ledger import merkle, store
from hanoi.ledger.checkpoint import open_checkpoint
from hanoi.ledger.errors import TreeRangeError
from hanoi.ledger.merkle import Node
from hanoi.ledger.models import LedgerEntry
from hanoi.ledger.queue_models import LedgerPending
from hanoi.ledger.records import KINDS, LedgerRecord, new_record, open_commitment
from tests.conftest import throwaway_pg_database
from tests.raising import raises_check

ORIGIN = "hanoi.example/XA"


def records(count: int, start: int = 0) -> list[LedgerRecord]:
    return [
        new_record(KINDS[n % len(KINDS)], "XA", {"request": f"XA-2026-{n:06d}", "n": n})
        for n in range(start, start + count)
    ]


def fill(db: Database, count: int, *, batch: int = 1000) -> list[LedgerRecord]:
    made = records(count)
    with db.session() as session:
        store.append_many(session, made)
    store.integrate_all(db, max_batch=batch)
    return made


def reference(made: list[LedgerRecord]) -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.leaf_hash(r.leaf_bytes) for r in made)


def _raw(db: Database, sql: str) -> None:
    with db.session() as session:
        session.execute(text(sql))


def test_empty_ledger(db: Database) -> None:
    with db.session() as session:
        assert store.tree_size(session) == 0
        assert store.root(session) == merkle.EMPTY_ROOT
        assert store.pending_count(session) == 0
        assert store.latest_checkpoint(session) is None
    assert store.integrate(db) == 0
    assert store.fsck(db).ok


def test_append_queues_until_integrated(db: Database) -> None:
    made = records(3)
    with db.session() as session:
        ids = [store.append(session, r) for r in made]
    assert ids == sorted(ids)
    with db.session() as session:
        assert store.pending_count(session) == 3
        assert store.tree_size(session) == 0
    assert store.integrate(db) == 3
    with db.session() as session:
        assert store.pending_count(session) == 0
        assert [store.load_record(session, i) for i in range(3)] == made
        assert open_commitment(store.load_record(session, 1)) == made[1].detail


def test_append_is_lost_with_its_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        store.append(session, records(1)[0])
        raise RuntimeError("the change it records failed")
    assert store.integrate(db) == 0


@pytest.mark.parametrize("batch", [1, 3, 64, 1000])
def test_roots_and_proofs_match_memory_tree(db: Database, batch: int) -> None:
    made = fill(db, 70, batch=batch)
    tree = reference(made)
    with db.session() as session:
        assert store.tree_size(session) == 70
        for size in range(1, 71):
            assert store.root(session, size) == tree.root(size)
        for size in (1, 2, 7, 32, 33, 70):
            head = tree.root(size)
            for index in range(size):
                proof = store.inclusion_proof(session, index, size)
                assert proof == tree.inclusion_proof(index, size)
                merkle.verify_inclusion(tree.hash_at(0, index), index, size, proof, head)
        for size1 in range(1, 71):
            for size2 in (size1, 33, 64, 70):
                if size2 < size1:
                    continue
                proof = store.consistency_proof(session, size1, size2)
                assert proof == tree.consistency_proof(size1, size2)
                merkle.verify_consistency(size1, size2, proof, tree.root(size1), tree.root(size2))


def test_batches_of_uneven_sizes_grow_one_tree(db: Database) -> None:
    made: list[LedgerRecord] = []
    for count in (1, 2, 5, 8, 13, 31, 1, 64):
        more = records(count, start=len(made))
        with db.session() as session:
            store.append_many(session, more)
        made += more
        store.integrate(db, max_batch=count)
        with db.session() as session:
            assert store.root(session) == reference(made).root()
    assert store.fsck(db).ok


def test_proofs_beyond_the_tree_are_refused(db: Database) -> None:
    fill(db, 5)
    with db.session() as session:
        with pytest.raises(TreeRangeError):
            store.inclusion_proof(session, 4, 6)
        with pytest.raises(TreeRangeError):
            store.inclusion_proof(session, 5, 5)
        with pytest.raises(TreeRangeError):
            store.consistency_proof(session, 2, 6)
        with pytest.raises(TreeRangeError):
            store.root(session, 6)
        with pytest.raises(TreeRangeError):
            store.load_record(session, 5)


def test_concurrent_integrators_build_one_tree(db: Database) -> None:
    errors: list[BaseException] = []
    appended: list[LedgerRecord] = []
    done = threading.Event()

    def appender() -> None:
        try:
            for round_ in range(20):
                batch = records(10, start=round_ * 10)
                with db.session() as session:
                    for record in batch:
                        store.append(session, record)
                appended.extend(batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            done.set()

    def integrator() -> None:
        try:
            while not done.is_set():
                store.integrate(db, max_batch=7)
            store.integrate_all(db, max_batch=7)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads: list[Callable[[], None]] = [appender, integrator, integrator]
    running = [threading.Thread(target=t) for t in threads]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert store.pending_count(session) == 0
        size = store.tree_size(session)
        leaves = [
            bytes(x) for x in session.scalars(select(LedgerEntry.leaf).order_by(LedgerEntry.seq))
        ]
        seqs = list(session.scalars(select(LedgerEntry.seq).order_by(LedgerEntry.seq)))
        assert size == 200 and seqs == list(range(200))
        assert sorted(leaves) == sorted(r.leaf_bytes for r in appended)  # each exactly once
        tree = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
        assert store.root(session) == tree.root()
    assert store.fsck(db).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET salt = leaf WHERE seq = 1",
        "DELETE FROM ledger_entries WHERE seq = 3",
        "UPDATE ledger_hashes SET hash = hash WHERE level = 1",
        "DELETE FROM ledger_hashes WHERE level = 0",
        "UPDATE ledger_checkpoints SET size = 0",
        "DELETE FROM ledger_checkpoints",
        "UPDATE ledger_state SET size = 1",
        "DELETE FROM ledger_state",
    ],
)
def test_database_refuses_changes(db: Database, statement: str) -> None:
    fill(db, 4)
    store.sign_checkpoint(db, Signer.for_key(ORIGIN, Ed25519PrivateKey.generate()), ORIGIN)
    with pytest.raises(DBAPIError, match=r"append-only|may only grow"):
        _raw(db, statement)
    assert store.fsck(db).ok


@pytest.fixture
def pg_db() -> Iterator[Database]:
    """PostgreSQL only: TRUNCATE is a PostgreSQL statement (SQLite has none to refuse)."""
    with throwaway_pg_database() as url:
        upgrade(url)
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


@pytest.mark.postgres
def test_database_refuses_truncate_on_postgresql(pg_db: Database) -> None:
    db = pg_db
    fill(db, 2)
    for table in ("ledger_entries", "ledger_hashes", "ledger_checkpoints", "ledger_state"):
        with pytest.raises(DBAPIError, match=r"append-only|may only grow"):
            _raw(db, f"TRUNCATE {table} CASCADE")  # CASCADE: past foreign keys


def _disable_guards(db: Database, table: str) -> None:
    """The test's own step, as an attacker with direct database access would start: the
    append-only trigger on ``table`` is dropped (SQLite) or disabled (PostgreSQL)."""
    if db.dialect == "sqlite":
        _raw(db, f"DROP TRIGGER {table}_no_update")
        _raw(db, f"DROP TRIGGER {table}_no_delete")
    else:
        _raw(db, f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change")


def test_fsck_finds_a_tampered_leaf(db: Database) -> None:
    made = fill(db, 10)
    _disable_guards(db, "ledger_entries")
    forged = new_record("receipt", "XA", {"n": "forged"}).leaf_bytes
    with db.session() as session:
        session.execute(
            text("UPDATE ledger_entries SET leaf = :leaf WHERE seq = 6"), {"leaf": forged}
        )
    report = store.fsck(db)
    assert [str(p) for p in report.problems] == [
        "entry 6: the leaf bytes do not hash to the stored leaf hash",
        "entry 6: the detail and salt do not open the leaf's commitment",
        "hash (0, 6): differs from the hash of leaf 6's bytes",
    ]
    assert report.entries_checked == 10 and made


def test_fsck_finds_a_tampered_detail(db: Database) -> None:
    fill(db, 4)
    _disable_guards(db, "ledger_entries")
    with db.session() as session:
        session.execute(
            text("UPDATE ledger_entries SET detail = :d WHERE seq = 2"), {"d": b'{"n":99}'}
        )
    assert [str(p) for p in store.fsck(db).problems] == [
        "entry 2: the detail and salt do not open the leaf's commitment"
    ]


def test_fsck_finds_a_tampered_hash_and_a_missing_one(db: Database) -> None:
    fill(db, 8)
    _disable_guards(db, "ledger_hashes")
    with db.session() as session:
        session.execute(
            text("UPDATE ledger_hashes SET hash = :h WHERE level = 1 AND idx = 2"),
            {"h": bytes(32)},
        )
    problems = [str(p) for p in store.fsck(db).problems]
    assert problems == [
        "hash (1, 2): differs from the hash of its two stored children",
        "hash (2, 1): differs from the hash of its two stored children",
    ]
    _raw(db, "DELETE FROM ledger_hashes WHERE level = 0 AND idx = 7")
    problems = [str(p) for p in store.fsck(db).problems]
    assert "level 0: 1 hashes missing, first index 7" in problems


def test_fsck_checks_the_checkpoint_root_and_signature(db: Database) -> None:
    fill(db, 6)
    signer = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    store.sign_checkpoint(db, signer, ORIGIN)
    report = store.fsck(db, signer.verifier())
    assert report.ok and report.signature_checked and report.checkpoint_size == 6
    stranger = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    report = store.fsck(db, stranger.verifier())
    assert [p.where for p in report.problems] == ["checkpoint 1"]
    assert "NoVerifiedSignature" in report.problems[0].message

    _disable_guards(db, "ledger_hashes")
    with db.session() as session:
        session.execute(
            text("UPDATE ledger_hashes SET hash = :h WHERE level = 2 AND idx = 0"),
            {"h": bytes(32)},
        )
    problems = [str(p) for p in store.fsck(db, signer.verifier()).problems]
    assert "hash (2, 0): differs from the hash of its two stored children" in problems
    assert "checkpoint 1: stored root differs from the tree's root at size 6" in problems
    assert "checkpoint 1: signed root differs from the tree's root at 6" in problems


def test_checkpoint_is_signed_stored_and_opens(db: Database) -> None:
    made = fill(db, 11)
    signer = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    stored = store.sign_checkpoint(db, signer, ORIGIN)
    assert stored.size == 11 and stored.root == reference(made).root()
    opened = open_checkpoint(stored.note, [signer.verifier()], origin=ORIGIN)
    assert opened.checkpoint.size == 11
    assert opened.checkpoint.root_hash == stored.root
    with db.session() as session:
        latest = store.latest_checkpoint(session)
        assert latest is not None and latest.note == stored.note and latest.id == stored.id
        proof = store.inclusion_proof(session, 4, latest.size)
    merkle.verify_inclusion(
        merkle.leaf_hash(made[4].leaf_bytes), 4, latest.size, proof, opened.checkpoint.root_hash
    )
    more = records(3, start=11)
    with db.session() as session:
        store.append_many(session, more)
    store.integrate(db)
    newer = store.sign_checkpoint(db, signer, ORIGIN)
    with db.session() as session:
        assert store.latest_checkpoint(session) == newer
        proof = store.consistency_proof(session, 11, 14)
    merkle.verify_consistency(11, 14, proof, stored.root, newer.root)


def test_checkpoint_signer_must_be_named_after_the_origin(db: Database) -> None:
    signer = Signer.for_key("someone.else", Ed25519PrivateKey.generate())
    with raises_check(store.StoreError, "signer-name"):
        store.sign_checkpoint(db, signer, ORIGIN)


# --- the plain-SQL paths: queue times, order, refusals, reads ---------------------------------


def test_integration_keeps_each_events_queue_time(db: Database) -> None:
    made = records(4)
    with db.session() as session:
        store.append(session, made[0])  # through SQLAlchemy's INSERT
        store.append_many(session, made[1:])  # plain SQL (COPY on PostgreSQL)
    with db.session() as session:
        queued = list(session.scalars(select(LedgerPending.created_at).order_by(LedgerPending.id)))
    assert store.integrate(db) == 4
    with db.session() as session:
        rows = session.execute(
            select(LedgerEntry.created_at, LedgerEntry.integrated_at).order_by(LedgerEntry.seq)
        ).all()
    assert [row.created_at for row in rows] == queued
    for created_at, integrated_at in rows:
        assert created_at.utcoffset() == integrated_at.utcoffset() == timedelta(0)
        assert created_at <= integrated_at
    if db.dialect == "sqlite":  # the text SQLAlchemy writes, whichever path wrote it
        with db.session() as session:
            stored = session.execute(
                text("SELECT created_at, integrated_at FROM ledger_entries")
            ).all()
        pattern = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"
        assert all(re.fullmatch(pattern, value) for row in stored for value in row)


def test_integration_takes_the_oldest_events_first_past_gaps(db: Database) -> None:
    made = records(4)
    with db.session() as session:
        store.append(session, made[0])
    with pytest.raises(RuntimeError), db.session() as session:
        store.append(session, made[1])
        raise RuntimeError("rolled back: its pending id is never integrated")
    with db.session() as session:
        store.append_many(session, made[2:])
    assert store.integrate(db, max_batch=2) == 2
    with db.session() as session:
        assert store.pending_count(session) == 1
    assert store.integrate(db, max_batch=2) == 3
    with db.session() as session:
        assert [store.load_record(session, i) for i in range(3)] == [made[0], made[2], made[3]]
    assert store.fsck(db).ok


def test_a_refused_integration_leaves_queue_and_tree_as_they_were(db: Database) -> None:
    fill(db, 5)
    with db.session() as session:
        # A row where leaf 5's hash will go: the database refuses the duplicate key.
        session.execute(
            text("INSERT INTO ledger_hashes (level, idx, hash) VALUES (0, 5, :h)"),
            {"h": bytes(32)},
        )
        store.append_many(session, records(3, start=5))
    with pytest.raises(IntegrityError):
        store.integrate(db)
    with db.session() as session:
        assert store.tree_size(session) == 5
        assert store.pending_count(session) == 3
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 5


@pytest.mark.parametrize("runs_per_query", [1, 2, store._RUNS_PER_QUERY])
def test_hash_reader_fetches_ranges_scattered_and_absent_nodes(
    db: Database, monkeypatch: pytest.MonkeyPatch, runs_per_query: int
) -> None:
    tree = reference(fill(db, 70))
    monkeypatch.setattr(store, "_RUNS_PER_QUERY", runs_per_query)
    present = [Node(0, i) for i in range(16, 40)]  # one run, as a hash tile is
    present += [Node(1, 3), Node(1, 5), Node(1, 6), Node(3, 7), Node(6, 0)]
    absent = [Node(0, 70), Node(1, 35), Node(6, 1), Node(7, 0)]  # beyond 70 leaves
    with db.session() as session:
        reader = store.DbHashReader(session)
        reader.prefetch([*absent, *present])
        for node in present:
            assert reader.hash_at(node.level, node.index) == tree.hash_at(node.level, node.index)
        for node in absent:
            assert not reader.has(node.level, node.index)
            with pytest.raises(TreeRangeError):
                reader.hash_at(node.level, node.index)


def test_a_proof_reads_its_hashes_in_one_query(db: Database) -> None:
    fill(db, 1000, batch=300)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            store.inclusion_proof(session, 421, 1000)
            store.consistency_proof(session, 300, 1000)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len([s for s in statements if "ledger_hashes" in s]) == 2
